package graph_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a settable time source for graphsim, so tests can expire tokens
// and deleted items without sleeping.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// sim is one in-process graphsim with one tenant, and a graph.Client for it.
type sim struct {
	srv    *graphsim.Server
	tenant graphsim.TenantInfo
	clock  *clock
	client *graph.Client
}

type simOpt func(*graphsim.TenantSpec, *graph.Config)

func withUsers(n int) simOpt  { return func(s *graphsim.TenantSpec, _ *graph.Config) { s.Users = n } }
func withGroups(n int) simOpt { return func(s *graphsim.TenantSpec, _ *graph.Config) { s.Groups = n } }
func withRetries(n int) simOpt {
	return func(_ *graphsim.TenantSpec, c *graph.Config) { c.MaxRetries = n }
}
func withLogger(t *testing.T) simOpt {
	return func(_ *graphsim.TenantSpec, c *graph.Config) {
		c.Logger = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// tWriter sends log lines to the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func withLimits(l graphsim.Limits) simOpt {
	return func(s *graphsim.TenantSpec, _ *graph.Config) { s.Limits = l }
}

// startSim starts graphsim over HTTPS with its own CA and connects a client
// through the real SDK and azidentity.
func startSim(t testing.TB, opts ...simOpt) *sim {
	t.Helper()
	spec := graphsim.TenantSpec{Seed: 42, Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}}
	var cfg graph.Config
	for _, o := range opts {
		o(&spec, &cfg)
	}
	clk := &clock{}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := graphsim.Start(ctx, graphsim.Options{Tenants: []graphsim.TenantSpec{spec}, Now: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, srv.Close())
	})
	info := srv.Tenants()[0].Info()
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = info.ID, info.ClientID, graph.Secret(info.ClientSecret)
	// A trailing slash on the service root is tolerated.
	cfg.AuthorityURL, cfg.GraphURL, cfg.HTTPClient = srv.AuthorityURL(), srv.GraphURL()+"/", srv.HTTPClient()
	c, err := graph.New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return &sim{srv: srv, tenant: info, clock: clk, client: c}
}

// newClient connects another client to s with cfg's credentials changed by
// edit.
func (s *sim) newClient(t *testing.T, edit func(*graph.Config)) *graph.Client {
	t.Helper()
	cfg := graph.Config{
		TenantID: s.tenant.ID, ClientID: s.tenant.ClientID, ClientSecret: graph.Secret(s.tenant.ClientSecret),
		AuthorityURL: s.srv.AuthorityURL(), GraphURL: s.srv.GraphURL(), HTTPClient: s.srv.HTTPClient(),
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := graph.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
