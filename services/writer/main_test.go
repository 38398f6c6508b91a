package writer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/writer"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	cfgID        = "cfg1"
	sourceTenant = "11111111-1111-1111-1111-111111111111"
)

// env is one graphsim tenant reached through the real adapter, a real
// redis-server and the writer's stores.
type env struct {
	t       testing.TB
	sim     *graphsim.Server
	tenant  *graphsim.Tenant
	client  *graph.Client
	redis   *redistest.Server
	rdb     *redis.Client
	conns   *redisx.Connectors
	escrows *redisx.Escrows
	cfg     writer.Config
}

type envOpt func(*graphsim.Limits, *writer.Config)

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	limits := graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}
	cfg := writer.DefaultConfig()
	cfg.Retry.InitialInterval, cfg.Retry.MaxInterval = 20*time.Millisecond, 200*time.Millisecond
	cfg.Retry.DefaultRetryAfter = time.Second
	cfg.WritesPerMinute, cfg.WriteBurst = 1_000_000, 1000
	for _, o := range opts {
		o(&limits, &cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := graphsim.Start(ctx, graphsim.Options{Tenants: []graphsim.TenantSpec{{Seed: 7, Limits: limits}}})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, srv.Close())
	})
	e := &env{t: t, sim: srv, tenant: srv.Tenants()[0], cfg: cfg}
	e.client = e.newClient()
	e.redis = redistest.Start(t, redistest.Options{})
	e.rdb = e.redis.Client(t)
	e.conns, e.escrows = redisx.NewConnectors(e.rdb), redisx.NewEscrows(e.rdb)
	return e
}

// newClient connects a Graph client with the SDK's own retries off, so
// every 429 reaches the writer and pauses the whole fleet.
func (e *env) newClient() *graph.Client {
	info := e.tenant.Info()
	c, err := graph.New(context.Background(), graph.Config{
		TenantID: info.ID, ClientID: info.ClientID, ClientSecret: graph.Secret(info.ClientSecret),
		AuthorityURL: e.sim.AuthorityURL(), GraphURL: e.sim.GraphURL(), HTTPClient: e.sim.HTTPClient(),
		MaxRetries: -1,
	})
	require.NoError(e.t, err)
	e.t.Cleanup(c.Close)
	return c
}

// newWriter builds a writer with its own Redis client (as another replica
// would have) sharing the same budget.
func (e *env) newWriter(deps ...func(*writer.Deps)) *writer.Writer {
	rdb := e.redis.Client(e.t)
	d := writer.Deps{
		Targets:    writer.StaticTargets{Default: e.client},
		Limiter:    redisx.NewLimiter(rdb, e.cfg.LimitFunc()),
		Connectors: redisx.NewConnectors(rdb),
		Escrows:    redisx.NewEscrows(rdb),
		Logger:     testLogger(),
	}
	for _, f := range deps {
		f(&d)
	}
	w, err := writer.New(e.cfg, d)
	require.NoError(e.t, err)
	return w
}

func testLogger() *slog.Logger {
	if os.Getenv("WRITER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// --- intent builders (shaped like the transformer's, from pkg/rules) ---

func change(attr, prop string, v string) *eventsv1.AttributeChange {
	return &eventsv1.AttributeChange{Attribute: attr, GraphProperty: prop, NewValueJson: v, Hash: uint64(len(v))}
}

func str(s string) string { return fmt.Sprintf("%q", s) }

func srcRef(id string, group bool) *commonv1.ObjectRef {
	typ := commonv1.ObjectType_OBJECT_TYPE_USER
	if group {
		typ = commonv1.ObjectType_OBJECT_TYPE_GROUP
	}
	return &commonv1.ObjectRef{Type: typ, TenantId: sourceTenant, ObjectId: id}
}

// userCreate is a default-mapping create: the alternativeSecurityIds
// match query pkg/rules/match builds, then the mapped attributes.
func userCreate(src, mail, display string) *eventsv1.WriteIntent {
	changes := []*eventsv1.AttributeChange{
		change("alternativeSecurityIds", "", `{"tenantId":"`+sourceTenant+`","netId":"`+src+`"}`),
		change("accountEnabled", "accountEnabled", "true"),
		change("displayName", "displayName", str(display)),
		change("mail", "mail", str(mail)),
		change("jobTitle", "jobTitle", str("Engineer")),
		change("telephoneNumber", "businessPhones", str("+1 555 0100")),
		change("userPrincipalName", "userPrincipalName", str(mail)),
		change("userType", "userType", str("Member")),
	}
	return &eventsv1.WriteIntent{
		ConfigurationId: cfgID, CycleId: "c1", Source: srcRef(src, false), Action: eventsv1.WriteAction_WRITE_ACTION_CREATE,
		IntentId: "c1/" + src, Changes: changes, OnMatch: changes[:len(changes)-1],
		MatchQueries: []*eventsv1.MatchQuery{{
			Precedence: 1, Attribute: "alternativeSecurityIds", Value: src,
			Filter: "alternativeSecurityIds/any(a:a/identityProvider eq '" + sourceTenant + "' and a/key eq '" + src + "')",
		}},
		ConnectorEntry: &eventsv1.ConnectorEntry{SourceId: src, State: "Active", CreatedBySync: true,
			Since: timestamppb.Now(), Exported: map[string]uint64{"displayName": 1}},
	}
}

func intentFor(src, target string, action eventsv1.WriteAction, state string, changes ...*eventsv1.AttributeChange) *eventsv1.WriteIntent {
	return &eventsv1.WriteIntent{
		ConfigurationId: cfgID, CycleId: "c2", Source: srcRef(src, false), TargetObjectId: target, Action: action,
		IntentId: "c2/" + src + "/" + action.String(), Changes: changes,
		ConnectorEntry: &eventsv1.ConnectorEntry{SourceId: src, TargetId: target, State: state, CreatedBySync: true, Since: timestamppb.Now()},
	}
}

func batchOf(e *env, intents ...*eventsv1.WriteIntent) *eventsv1.IntentBatch {
	return &eventsv1.IntentBatch{ConfigurationId: cfgID, CycleId: intents[0].GetCycleId(), TargetTenantId: e.tenant.ID(), Intents: intents}
}

func applyOK(t testing.TB, w *writer.Writer, b *eventsv1.IntentBatch) []*eventsv1.WriteOutcome {
	t.Helper()
	out, err := w.Apply(ctxT(t), b)
	require.NoError(t, err)
	require.Len(t, out.GetOutcomes(), len(b.GetIntents()))
	return out.GetOutcomes()
}

func requireSuccess(t testing.TB, outs []*eventsv1.WriteOutcome) {
	t.Helper()
	for _, o := range outs {
		require.True(t, o.GetSuccess(), "%s %s: %v", o.GetAction(), o.GetSource().GetObjectId(), o.GetError())
	}
}
