// Package redistest starts a real redis-server process for tests, on a free
// loopback port with its data in a temporary directory. There is no Docker
// engine on the CI machines, and a real server is the standard: no mocks.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server child process.
type Server struct {
	Addr string
	dir  string
	aof  bool
	cmd  *exec.Cmd
	done chan error
}

// Options tunes the server; the zero value is an in-memory server.
type Options struct {
	// AppendOnly turns on AOF persistence (fsync every write) so that a
	// restart keeps what was acknowledged.
	AppendOnly bool
}

// Start runs redis-server and stops it when the test ends. The test is
// skipped only if redis-server is not installed and XTSYNC_REQUIRE_REDIS is
// unset; CI sets it, so a missing server fails there instead of hiding.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found on PATH: %v", err)
		}
		t.Skip("redis-server not installed (apt-get install -y redis-server)")
	}
	s := &Server{dir: t.TempDir(), aof: o.AppendOnly}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.start(path); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: start redis-server: %v", lastErr)
	return nil
}

func (s *Server) start(path string) error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{
		"--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	if s.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	s.cmd = exec.Command(path, args...)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(s.cmd, s.done)
	return s.waitReady()
}

func (s *Server) waitReady() error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v: %s", err, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s not ready: %w", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server and waits for it to exit. Safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart stops the server and starts it again on the same address and data
// directory, the way an operator restart or a crash-and-recover does.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if err := s.start(path); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("not a TCP address")
	}
	return addr.Port, nil
}
