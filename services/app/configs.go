package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/reader"
	"github.com/xtsync/xtsync/services/scheduler"
	"github.com/xtsync/xtsync/services/synclog"
	"github.com/xtsync/xtsync/services/transformer"
	"github.com/xtsync/xtsync/services/writer"
)

// Configs resolves a configuration id, through the scheduler's
// configuration store in Redis, to what each service needs: the source
// Graph client (reader), the compiled rules (transformer), the target
// Graph client (writer) and the tenants (synclog's authorization). Every
// process of any -target builds its own over the shared Redis, so no
// service calls another to learn a configuration.
//
// Each call reads the configuration (one HMGET); what is built from it
// (clients, compiled rules) is cached by the configuration's etag, so an
// update through the API takes effect on the next batch or cycle.
type Configs struct {
	store   *scheduler.Store
	http    *http.Client
	timeout time.Duration

	mu    sync.Mutex
	cache map[string]*resolved
}

type resolved struct {
	etag   string
	source *graph.Client
	target *graph.Client
	rules  *transformer.Compiled
}

var (
	_ reader.SourceResolver     = (*Configs)(nil)
	_ writer.TargetResolver     = (*Configs)(nil)
	_ transformer.RulesResolver = (*Configs)(nil)
	_ synclog.ConfigTenants     = (*Configs)(nil)
)

var (
	errUnknown = errors.New("unknown configuration")
	errNoRules = errors.New("configuration has no rules")
)

// NewConfigs returns the resolver over store; base is the Graph transport
// (nil: the SDK default).
func NewConfigs(store *scheduler.Store, base *http.Client, timeout time.Duration) *Configs {
	return &Configs{store: store, http: base, timeout: timeout, cache: map[string]*resolved{}}
}

// entry returns the cache entry of the configuration as stored now.
func (c *Configs) entry(ctx context.Context, id string) (*schedulerv1.Configuration, *resolved, error) {
	cfg, err := c.store.Get(ctx, id)
	if errors.Is(err, scheduler.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w %q", errUnknown, id)
	}
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.cache[id]
	if r == nil || r.etag != cfg.GetEtag() {
		// Clients of an older revision are left to in-flight callers and
		// the garbage collector: closing them here could cut a running
		// cycle's requests.
		r = &resolved{etag: cfg.GetEtag()}
		c.cache[id] = r
	}
	return cfg, r, nil
}

// Source implements reader.SourceResolver.
func (c *Configs) Source(ctx context.Context, id string) (graph.Source, error) {
	cfg, r, err := c.entry(ctx, id)
	if errors.Is(err, errUnknown) {
		return nil, fmt.Errorf("%w: %w", reader.ErrUnknownConfiguration, err)
	}
	if err != nil {
		return nil, err
	}
	return c.client(ctx, &r.source, cfg.GetSource(), 0)
}

// Target implements writer.TargetResolver. Its client never retries on its
// own (MaxRetries -1): 429s must reach the writer's shared budget.
func (c *Configs) Target(ctx context.Context, id string) (graph.Target, error) {
	cfg, r, err := c.entry(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.client(ctx, &r.target, cfg.GetTarget(), -1)
}

func (c *Configs) client(ctx context.Context, slot **graph.Client, ref *commonv1.TenantRef, retries int) (*graph.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *slot != nil {
		return *slot, nil
	}
	secret, err := ResolveCredential(ref.GetCredentialRef())
	if err != nil {
		// An unreadable secret is an authorization failure: the job quarantines
		// instead of retrying forever.
		return nil, fmt.Errorf("tenant %s: %w: %w", ref.GetTenantId(), graph.ErrAuth, err)
	}
	cl, err := graph.New(ctx, graph.Config{
		TenantID: ref.GetTenantId(), ClientID: ref.GetClientId(), ClientSecret: graph.Secret(secret),
		AuthorityURL: ref.GetAuthorityUrl(), GraphURL: ref.GetGraphUrl(), HTTPClient: c.http,
		MaxRetries: retries, Timeout: c.timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to tenant %s: %w", ref.GetTenantId(), err)
	}
	*slot = cl
	return cl, nil
}

// Rules implements transformer.RulesResolver.
func (c *Configs) Rules(ctx context.Context, id string) (*transformer.Compiled, error) {
	cfg, r, err := c.entry(ctx, id)
	if errors.Is(err, errUnknown) {
		return nil, fmt.Errorf("%w: %w", transformer.ErrUnknownConfiguration, err)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.rules != nil {
		return r.rules, nil
	}
	compiled, err := compileRules(cfg)
	if err != nil {
		return nil, err
	}
	r.rules = compiled
	return compiled, nil
}

// compileRules decodes the configuration's rules (a Struct in the
// pkg/rules/spec JSON format) the way the scheduler validated them.
func compileRules(cfg *schedulerv1.Configuration) (*transformer.Compiled, error) {
	st := cfg.GetRules()
	if st == nil {
		return nil, fmt.Errorf("%w: %s", errNoRules, cfg.GetId())
	}
	if _, ok := st.GetFields()["sourceTenantId"]; !ok {
		st.Fields["sourceTenantId"] = structpb.NewStringValue(cfg.GetSource().GetTenantId())
	}
	raw, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode rules of %s: %w", cfg.GetId(), err)
	}
	rs, err := spec.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("rules of %s: %w", cfg.GetId(), err)
	}
	dc, err := rs.Compile(nil)
	if err != nil {
		return nil, fmt.Errorf("compile rules of %s: %w", cfg.GetId(), err)
	}
	return &transformer.Compiled{Config: dc, TargetTenantID: cfg.GetTarget().GetTenantId(),
		DeletionThreshold: rs.DeletionThreshold()}, nil
}

// ConfigTenants implements synclog.ConfigTenants.
func (c *Configs) ConfigTenants(ctx context.Context, id string) (string, string, error) {
	cfg, err := c.store.Get(ctx, id)
	if errors.Is(err, scheduler.ErrNotFound) {
		return "", "", fmt.Errorf("%q: %w", id, synclog.ErrUnknownConfiguration)
	}
	if err != nil {
		return "", "", err
	}
	return cfg.GetSource().GetTenantId(), cfg.GetTarget().GetTenantId(), nil
}

// Close closes every cached Graph client.
func (c *Configs) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.cache {
		for _, cl := range []*graph.Client{r.source, r.target} {
			if cl != nil {
				cl.Close()
			}
		}
	}
	c.cache = map[string]*resolved{}
}

// ResolveCredential reads the secret a credential reference names: the
// scheduler's formats, env:NAME or file:/absolute/path. Errors name the
// reference, never the value.
func ResolveCredential(ref string) (string, error) {
	kind, val, ok := strings.Cut(ref, ":")
	switch {
	case !ok || val == "":
		return "", fmt.Errorf("credential reference %q: want env:NAME or file:/path", ref)
	case kind == "env":
		v, ok := os.LookupEnv(val)
		if !ok || v == "" {
			return "", fmt.Errorf("credential %s: environment variable not set", ref)
		}
		return v, nil
	case kind == "file":
		b, err := os.ReadFile(val)
		if err != nil {
			return "", fmt.Errorf("credential %s: %w", ref, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("credential %s: file is empty", ref)
		}
		return v, nil
	}
	return "", fmt.Errorf("credential reference %q: unknown kind %q", ref, kind)
}
