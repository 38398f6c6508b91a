// Package redistest starts a real redis-server process for tests, on a free
// loopback port with its data in a temporary directory. There is no Docker
// engine on the CI machines, and a real server is the standard: no mocks.
package redistest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/xtsync/xtsync/pkg/redisx/redisproc"
)

// Server is a running redis-server child process.
type Server struct {
	*redisproc.Process
}

// Options tunes the server; the zero value is an in-memory server.
type Options struct {
	// AppendOnly turns on AOF persistence (fsync every write) so that a
	// restart keeps what was acknowledged.
	AppendOnly bool
}

// Start runs redis-server and kills it when the test ends. The test is
// skipped only if redis-server is not installed and XTSYNC_REQUIRE_REDIS is
// unset; CI sets it, so a missing server fails there instead of hiding.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found on PATH: %v", err)
		}
		t.Skip("redis-server not installed (apt-get install -y redis-server)")
	}
	po := redisproc.Options{Path: "redis-server", Dir: t.TempDir()}
	if o.AppendOnly {
		po.AppendFsync = "always"
	}
	p, err := redisproc.Start(context.Background(), po)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(p.Kill)
	return &Server{p}
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server (a crash: only what AppendOnly fsynced survives)
// and waits for it to exit. Safe to call twice.
func (s *Server) Stop() { s.Kill() }

// Restart kills the server and starts it again on the same address and data
// directory, the way an operator restart or a crash-and-recover does.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.Process.Restart(context.Background()); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}
