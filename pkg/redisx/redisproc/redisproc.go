// Package redisproc runs redis-server as a child process: the all-in-one
// default's Redis and the tests' real server.
package redisproc

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

// Options describe a redis-server child process.
type Options struct {
	// Path is the redis-server executable, looked up on PATH.
	Path string
	// Dir holds the data (AOF) and redis.log.
	Dir string
	// AppendFsync turns on the append-only file with this fsync policy
	// ("always", "everysec"); empty keeps everything in memory.
	AppendFsync string
	// SysProcAttr is applied to the child (e.g. Pdeathsig, so no orphan
	// outlives a killed parent).
	SysProcAttr *syscall.SysProcAttr
	// Ready bounds the wait for the first PING answer; 0 means 15 s.
	Ready time.Duration
}

// Process is a redis-server child bound to loopback on a free port: the
// all-in-one default's Redis and the tests' real server.
type Process struct {
	Addr string
	exe  string
	o    Options
	cmd  *exec.Cmd
	done chan error
}

// Start runs redis-server and waits until it answers PING. Ports are
// picked free and retried: another process may take the port between the
// probe and the bind.
func Start(ctx context.Context, o Options) (*Process, error) {
	exe, err := exec.LookPath(o.Path)
	if err != nil {
		return nil, fmt.Errorf("redis-server: %w", err)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("redis-server: data dir: %w", err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("redis-server: free port: %w", err)
		}
		p := &Process{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), exe: exe, o: o}
		if lastErr = p.start(ctx); lastErr == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("redis-server: %w", lastErr)
}

func (p *Process) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(p.Addr)
	args := []string{
		"--bind", "127.0.0.1", "--port", port, "--dir", p.o.Dir,
		"--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(p.o.Dir, "redis.log"), "--save", "",
	}
	if p.o.AppendFsync != "" {
		args = append(args, "--appendonly", "yes", "--appendfsync", p.o.AppendFsync)
	}
	// Not CommandContext: the server must outlive the starting context and
	// stop only through Stop or Kill.
	p.cmd = exec.Command(p.exe, args...)
	p.cmd.SysProcAttr = p.o.SysProcAttr
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", p.exe, err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(p.cmd, p.done)
	if err := p.waitReady(ctx); err != nil {
		p.Kill()
		return err
	}
	return nil
}

func (p *Process) waitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
	defer c.Close()
	wait := p.o.Ready
	if wait <= 0 {
		wait = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		select {
		case err := <-p.done:
			p.done <- err
			log, _ := os.ReadFile(filepath.Join(p.o.Dir, "redis.log"))
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
func (p *Process) Stop() {
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

// Kill ends redis-server with SIGKILL, the way a crash does, and waits for
// it. Safe to call twice.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// Restart kills the server and starts it again on the same address and
// data directory, as a crash-and-recover does.
func (p *Process) Restart(ctx context.Context) error {
	p.Kill()
	if err := p.start(ctx); err != nil {
		return fmt.Errorf("redis-server: restart: %w", err)
	}
	return nil
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
