package main

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/app"
)

// Tenants of the fixtures in testdata (fixed ids, so the files can name them).
const (
	sourceTenant = "11111111-1111-4111-8111-111111111111"
	targetTenant = "22222222-2222-4222-8222-222222222222"
	adminToken   = "sre-alice-token"
	adminName    = "sre-alice"
)

// testServer is the all-in-one process as `xtsync` runs it (five services,
// embedded NATS, a redis-server child) in front of graphsim's two tenants.
type testServer struct {
	addr           string
	dir            string
	sim            *graphsim.Server
	source, target *graphsim.Tenant
}

// startServer starts graphsim and the process for the test, like
// cmd/xtsync's startDemo, with credentials in files and a tokens file.
func startServer(t *testing.T, users int) *testServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole process")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	s := &testServer{dir: t.TempDir()}
	simCtx, simCancel := context.WithCancel(context.Background())
	t.Cleanup(simCancel)
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{ID: sourceTenant, Domain: "contoso.example", ClientID: "1a1a1a1a-0000-4000-8000-000000000001", Users: users, Groups: 3},
		{ID: targetTenant, Domain: "fabrikam.example", ClientID: "2b2b2b2b-0000-4000-8000-000000000002", Users: 5},
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	s.sim = sim
	s.source, s.target = sim.Tenant(sourceTenant), sim.Tenant(targetTenant)
	// What an admin sets in both portals before TestConnection passes.
	s.source.SetPartnerPolicy(targetTenant, true, false)
	s.target.SetPartnerPolicy(sourceTenant, true, true)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "contoso.secret"), []byte(s.source.Info().ClientSecret), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "fabrikam.secret"), []byte(s.target.Info().ClientSecret), 0o600))

	var cfg app.Config
	cfg.RegisterFlags(flag.NewFlagSet("test", flag.PanicOnError))
	cfg.DataDir = filepath.Join(s.dir, "data")
	require.NoError(t, os.MkdirAll(cfg.DataDir, 0o700))
	cfg.GRPC.ListenAddr = "127.0.0.1:0"
	cfg.GRPC.TokensFile = filepath.Join(s.dir, "tokens.yaml")
	tokens := "tokens:\n  - name: " + adminName + "\n    sha256: " + grpcx.HashToken(adminToken) + "\n    tenants: [\"*\"]\n"
	require.NoError(t, os.WriteFile(cfg.GRPC.TokensFile, []byte(tokens), 0o600))
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(cfg, app.Options{Logger: logger, GraphHTTPClient: sim.HTTPClient()})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, []string{app.All}) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	for a.GRPCAddr() == "" {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("xtsync stopped while starting: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.addr = a.GRPCAddr()
	return s
}

// fixture expands a testdata file's ${GRAPH_URL}, ${AUTHORITY_URL} and
// ${SECRETS} into a file of the test's temp dir and returns its path.
func (s *testServer) fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	body := os.Expand(string(b), func(k string) string {
		switch k {
		case "GRAPH_URL":
			return s.sim.GraphURL()
		case "AUTHORITY_URL":
			return s.sim.AuthorityURL()
		case "SECRETS":
			return s.dir
		}
		return "${" + k + "}"
	})
	path := filepath.Join(s.dir, name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

// ctl runs xtsyncctl against the server with the admin token.
func (s *testServer) ctl(ctx context.Context, t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runCtlCtx(ctx, t, nil, append([]string{"--addr", s.addr, "--token", adminToken}, args...)...)
}

// runCtlCtx runs the command tree in process; out may be a shared buffer
// the caller watches while the command runs (logs tail).
func runCtlCtx(ctx context.Context, t *testing.T, out *syncBuffer, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	if out == nil {
		out = &syncBuffer{}
	}
	var errOut bytes.Buffer
	cmd.SetOut(out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// syncBuffer is a bytes.Buffer safe to read while a command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
