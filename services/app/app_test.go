package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/xtsync/xtsync/services/app"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder notes starts and stops so tests can check the order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) module(name string, target bool, deps ...string) app.Module {
	return app.Module{Name: name, Target: target, Deps: deps, Init: func(context.Context) (app.Service, error) {
		r.add("init " + name)
		return app.ServiceFunc(func(ctx context.Context) error {
			<-ctx.Done()
			r.add("stop " + name)
			return nil
		}), nil
	}}
}

func registry(r *recorder) *app.Registry {
	reg := app.NewRegistry()
	reg.Register(r.module("nats", false))
	reg.Register(r.module("redis", false))
	reg.Register(r.module("scheduler", true, "nats", "redis"))
	reg.Register(r.module("reader", true, "nats", "redis"))
	reg.Register(r.module("writer", true, "nats", "redis"))
	return reg
}

func TestResolve(t *testing.T) {
	t.Parallel()
	reg := registry(&recorder{})
	tests := []struct {
		targets []string
		want    []string
		wantErr string
	}{
		{targets: []string{"all"}, want: []string{"nats", "redis", "reader", "scheduler", "writer"}},
		{targets: []string{"writer"}, want: []string{"nats", "redis", "writer"}},
		{targets: []string{"writer", "reader", "writer"}, want: []string{"nats", "redis", "reader", "writer"}},
		{targets: []string{"nats"}, wantErr: `unknown target "nats"`},
		{targets: []string{"transformr"}, wantErr: `unknown target "transformr" (known: all, reader, scheduler, writer)`},
		{targets: nil, wantErr: "no target"},
	}
	for _, tc := range tests {
		got, err := reg.Resolve(tc.targets)
		if tc.wantErr != "" {
			require.ErrorContains(t, err, tc.wantErr)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

func TestResolveRejectsBadGraphs(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	cyc := app.NewRegistry()
	cyc.Register(r.module("a", true, "b"))
	cyc.Register(r.module("b", false, "a"))
	_, err := cyc.Resolve([]string{"a"})
	require.ErrorContains(t, err, "cycle: a -> b -> a")

	missing := app.NewRegistry()
	missing.Register(r.module("a", true, "ghost"))
	_, err = missing.Resolve([]string{"a"})
	require.ErrorContains(t, err, `unknown module "ghost"`)

	dup := app.NewRegistry()
	dup.Register(r.module("a", true))
	dup.Register(r.module("a", true))
	_, err = dup.Resolve([]string{"a"})
	require.ErrorContains(t, err, `"a" registered twice`)
}

func TestRunStartsInOrderAndStopsInReverse(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	runner := &app.Runner{Registry: registry(rec)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, []string{"writer", "scheduler"}) }()
	require.Eventually(t, runner.Ready, waitFor, tick)
	cancel()
	require.NoError(t, <-done)
	require.False(t, runner.Ready())
	require.Equal(t, []string{
		"init nats", "init redis", "init scheduler", "init writer",
		"stop writer", "stop scheduler", "stop redis", "stop nats",
	}, rec.events)
}

func TestRunStopsEverythingWhenOneModuleFails(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	reg := registry(rec)
	boom := errors.New("boom")
	fail := make(chan struct{})
	reg.Register(app.Module{Name: "transformer", Target: true, Deps: []string{"nats"}, Init: func(context.Context) (app.Service, error) {
		return app.ServiceFunc(func(ctx context.Context) error {
			select {
			case <-fail:
				return boom
			case <-ctx.Done():
				return nil
			}
		}), nil
	}})
	runner := &app.Runner{Registry: reg}
	done := make(chan error, 1)
	go func() { done <- runner.Run(context.Background(), []string{"all"}) }()
	require.Eventually(t, runner.Ready, waitFor, tick)
	close(fail)
	err := <-done
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "module transformer stopped")
	require.Contains(t, rec.events, "stop nats")
}

func TestRunInitFailureStopsStartedModules(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	reg := registry(rec)
	reg.Register(app.Module{Name: "transformer", Target: true, Deps: []string{"nats"}, Init: func(context.Context) (app.Service, error) {
		return nil, errors.New("bad config")
	}})
	err := (&app.Runner{Registry: reg}).Run(context.Background(), []string{"transformer"})
	require.ErrorContains(t, err, "init transformer: bad config")
	require.Equal(t, []string{"init nats", "stop nats"}, rec.events)
}
