package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Runner starts modules in dependency order and stops them in reverse.
type Runner struct {
	Registry *Registry
	Logger   *slog.Logger
	// StopTimeout bounds how long one module may take to drain.
	StopTimeout time.Duration

	ready   atomic.Bool
	mu      sync.Mutex
	running []string
}

type started struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

// Ready reports whether every selected module has started and none has
// stopped; /ready serves it.
func (r *Runner) Ready() bool { return r.ready.Load() }

// Running lists the modules started so far, in start order.
func (r *Runner) Running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.running...)
}

// Run initialises and runs the targets' modules until ctx is cancelled or
// one of them fails, then stops them in reverse start order, each after the
// modules that depend on it, so that no service loses its queue or store
// while it drains. It returns the first module failure, if any.
func (r *Runner) Run(ctx context.Context, targets []string) error {
	order, err := r.Registry.Resolve(targets)
	if err != nil {
		return err
	}
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	stopTimeout := r.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = 30 * time.Second
	}

	failed := make(chan error, len(order))
	var stack []started
	stopAll := func() error {
		r.ready.Store(false)
		var errs []error
		for i := len(stack) - 1; i >= 0; i-- {
			s := stack[i]
			s.cancel()
			select {
			case err := <-s.done:
				if err != nil && !errors.Is(err, context.Canceled) {
					errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
				}
				logger.Info("module stopped", "module", s.name)
			case <-time.After(stopTimeout):
				errs = append(errs, fmt.Errorf("stop %s: still draining after %s", s.name, stopTimeout))
			}
		}
		return errors.Join(errs...)
	}

	for _, name := range order {
		m := r.Registry.modules[name]
		var svc Service
		if m.Init != nil {
			if svc, err = m.Init(ctx); err != nil {
				return errors.Join(fmt.Errorf("init %s: %w", name, err), stopAll())
			}
		}
		mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s := started{name: name, cancel: cancel, done: make(chan error, 1)}
		go func() {
			var err error
			if svc != nil {
				err = svc.Run(mctx)
			} else {
				<-mctx.Done()
			}
			if mctx.Err() == nil {
				// Stopped on its own: that ends the process.
				failed <- fmt.Errorf("module %s stopped: %w", name, errOrUnexpected(err))
			}
			s.done <- err
		}()
		stack = append(stack, s)
		r.mu.Lock()
		r.running = append(r.running, name)
		r.mu.Unlock()
		logger.Info("module started", "module", name)
	}
	r.ready.Store(true)
	logger.Info("all modules running", "modules", order)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-failed:
		logger.Error("module failed; stopping", "err", runErr)
	}
	return errors.Join(runErr, stopAll())
}

func errOrUnexpected(err error) error {
	if err == nil {
		return errors.New("returned without being stopped")
	}
	return err
}
