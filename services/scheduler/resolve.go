package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Rules returns the decoded rules and the target tenant of a stored
// configuration with its etag (the revision a cache keys on): the
// transformer's RulesResolver compiles them once per etag.
func (s *Store) Rules(ctx context.Context, id string) (r *spec.Rules, targetTenantID, etag string, err error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", "", err
	}
	if c.GetRules() == nil {
		return nil, "", "", fmt.Errorf("configuration %s has no rules: %w", id, ErrNotFound)
	}
	raw, err := protojson.Marshal(c.GetRules())
	if err != nil {
		return nil, "", "", fmt.Errorf("encode rules of %s: %w", id, err)
	}
	r, err = spec.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", "", fmt.Errorf("rules of %s: %w", id, err)
	}
	return r, c.GetTarget().GetTenantId(), c.GetEtag(), nil
}

// Sources resolves a configuration's source tenant to a Graph client: the
// reader's SourceResolver in production. Clients are cached per
// configuration and rebuilt when its etag changes (a new credential
// reference, say). Safe for concurrent use.
type Sources struct {
	store *Store
	base  *http.Client

	mu      sync.Mutex
	clients map[string]cachedSource
}

type cachedSource struct {
	etag   string
	client *graph.Client
}

// NewSources returns a resolver over store; base is the HTTP transport
// (nil: the SDK default).
func NewSources(store *Store, base *http.Client) *Sources {
	return &Sources{store: store, base: base, clients: map[string]cachedSource{}}
}

// Source implements the reader's SourceResolver.
func (s *Sources) Source(ctx context.Context, configurationID string) (graph.Source, error) {
	c, err := s.store.Get(ctx, configurationID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs, ok := s.clients[configurationID]; ok && cs.etag == c.GetEtag() {
		return cs.client, nil
	}
	ref := c.GetSource()
	secret, err := resolveCredential(ref.GetCredentialRef())
	if err != nil {
		return nil, fmt.Errorf("source of %s: %w", configurationID, err)
	}
	client, err := graph.New(ctx, graph.Config{
		TenantID: ref.GetTenantId(), ClientID: ref.GetClientId(), ClientSecret: graph.Secret(secret),
		AuthorityURL: ref.GetAuthorityUrl(), GraphURL: ref.GetGraphUrl(), HTTPClient: s.base,
	})
	if err != nil {
		return nil, fmt.Errorf("source of %s: %w", configurationID, err)
	}
	if old, ok := s.clients[configurationID]; ok {
		old.client.Close()
	}
	s.clients[configurationID] = cachedSource{etag: c.GetEtag(), client: client}
	return client, nil
}

// Close closes every cached client.
func (s *Sources) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, cs := range s.clients {
		cs.client.Close()
		delete(s.clients, id)
	}
}

// ConfigTenants returns the source and target tenant of a configuration
// (ErrNotFound when it is gone): what the log service authorizes its
// queries against (its ConfigTenants; map ErrNotFound to its
// ErrUnknownConfiguration).
func (s *Store) ConfigTenants(ctx context.Context, id string) (source, target string, err error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return "", "", err
	}
	return c.GetSource().GetTenantId(), c.GetTarget().GetTenantId(), nil
}
