package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisProcess is a redis-server child process: the all-in-one default's
// Redis, the real server (habit 4), bound to loopback on a free port, with
// an append-only file in its data directory so a restart keeps the
// watermarks and the connector data store.
type RedisProcess struct {
	Addr string
	dir  string
	cmd  *exec.Cmd
	done chan error
}

// StartRedis runs path (redis-server) with its data in dir and waits until
// it answers PING. Ports are picked free and retried: another process may
// take the port between the probe and the bind.
func StartRedis(ctx context.Context, path, dir string) (*RedisProcess, error) {
	exe, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("embedded redis: %w (install redis-server, or set -redis.addr)", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded redis: data dir: %w", err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("embedded redis: free port: %w", err)
		}
		p := &RedisProcess{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir}
		if lastErr = p.start(ctx, exe, port); lastErr == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("embedded redis: %w", lastErr)
}

func (p *RedisProcess) start(ctx context.Context, exe string, port int) error {
	args := []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", p.dir,
		"--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(p.dir, "redis.log"),
		// AOF with one fsync per second is Redis's documented durable
		// setting; snapshots add nothing here.
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
	}
	// Not CommandContext: the process must outlive Init's context and stop
	// only through Stop (SIGTERM, so the AOF is flushed).
	p.cmd = exec.Command(exe, args...)
	p.cmd.SysProcAttr = childAttrs()
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", exe, err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(p.cmd, p.done)
	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return err
	}
	return nil
}

func (p *RedisProcess) waitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		select {
		case err := <-p.done:
			p.done <- err
			log, _ := os.ReadFile(filepath.Join(p.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v: %s", err, log)
		default:
		}
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		err := c.Ping(pctx).Err()
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis-server on %s not ready: %w", p.Addr, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop asks redis-server to shut down (it flushes the AOF), kills it after
// 10 s, and waits for it. Safe to call twice.
func (p *RedisProcess) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
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
