package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

var limiterTests = []testCase{
	{"FleetStaysUnderBudget", func(t *testing.T, h Harness) {
		// Writers on separate clients share one budget: over the run, grants
		// never exceed burst + rate × elapsed (GCRA's bound), whatever the
		// number of writers.
		ctx := ctxT(t)
		const writers = 4
		var granted atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		stop := start.Add(1200 * time.Millisecond)
		for range writers {
			l := h.New(t).Limiter
			wg.Go(func() {
				for time.Now().Before(stop) {
					d, err := l.Reserve(ctx, "tenant-a", 1)
					if !assert.NoError(t, err) {
						return
					}
					if d == 0 {
						granted.Add(1)
						continue
					}
					time.Sleep(min(d, time.Until(stop)+time.Millisecond))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		bound := int64(Limit.Burst) + int64(float64(Limit.Rate)*elapsed.Seconds()/Limit.Period.Seconds()) + 1
		require.LessOrEqual(t, granted.Load(), bound)
		require.GreaterOrEqual(t, granted.Load(), int64(Limit.Burst), "the burst is available at once")
	}},
	{"TenantsHaveSeparateBudgets", func(t *testing.T, h Harness) {
		ctx, l := ctxT(t), h.New(t).Limiter
		start := time.Now()
		for range Limit.Burst {
			d, err := l.Reserve(ctx, "tenant-a", 1)
			require.NoError(t, err)
			require.Zero(t, d)
		}
		d, err := l.Reserve(ctx, "tenant-a", 1)
		require.NoError(t, err)
		// A token refills every Period/Rate: on a machine slow enough to
		// take that long for the burst, the next one is free again.
		if time.Since(start) < Limit.Period/time.Duration(Limit.Rate) {
			require.Positive(t, d)
		}
		require.LessOrEqual(t, d, Limit.Period)
		d, err = l.Reserve(ctx, "tenant-b", Limit.Burst)
		require.NoError(t, err)
		require.Zero(t, d)
	}},
	{"BackoffPausesEveryWriter", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		a, b := h.New(t).Limiter, h.New(t).Limiter
		require.NoError(t, a.Backoff(ctx, "tenant-a", 2*time.Second))
		require.NoError(t, a.Backoff(ctx, "tenant-a", 10*time.Millisecond)) // never shortens
		d, err := b.Reserve(ctx, "tenant-a", 1)
		require.NoError(t, err)
		require.Greater(t, d, time.Second)
		require.LessOrEqual(t, d, 2*time.Second)
		d, err = b.Reserve(ctx, "tenant-b", 1)
		require.NoError(t, err)
		require.Zero(t, d)

		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, b.Wait(short, "tenant-a", 1), context.DeadlineExceeded)
	}},
	{"WaitGetsTokens", func(t *testing.T, h Harness) {
		ctx, l := ctxT(t), h.New(t).Limiter
		require.NoError(t, l.Backoff(ctx, "tenant-a", 50*time.Millisecond))
		for range Limit.Burst + 2 { // two beyond the burst wait one emission each
			require.NoError(t, l.Wait(ctx, "tenant-a", 1))
		}
	}},
	{"SlowStartPacesFirstGrants", func(t *testing.T, h Harness) {
		// In slow start the first request is granted at once, however
		// large; the rest of the burst is not: grants are paced at
		// SlowStart of the rate. Retry-After still pauses every writer.
		ctx := ctxT(t)
		a, b := h.New(t).SlowStarting, h.New(t).SlowStarting
		if a == nil {
			t.Skip("no slow-starting limiter")
		}
		start := time.Now()
		d, err := a.Reserve(ctx, "tenant-a", Limit.Burst)
		require.NoError(t, err)
		require.Zero(t, d, "the first request at once")
		d, err = b.Reserve(ctx, "tenant-a", 1)
		require.NoError(t, err)
		pace := time.Duration(float64(Limit.Burst) / (SlowStart * float64(Limit.Rate)) * float64(Limit.Period))
		if time.Since(start) < pace { // a machine that slow has paid the pace
			require.Positive(t, d, "the burst is not available at once")
		}
		require.LessOrEqual(t, d, pace)
		d, err = b.Reserve(ctx, "tenant-b", 1)
		require.NoError(t, err)
		require.Zero(t, d, "tenants start apart")
		require.NoError(t, a.Backoff(ctx, "tenant-b", 2*time.Second))
		d, err = b.Reserve(ctx, "tenant-b", 1)
		require.NoError(t, err)
		require.Greater(t, d, time.Second)
	}},
	{"MaxWritesShrinkWhileThrottled", func(t *testing.T, h Harness) {
		// At the configured rate one request may take the whole burst;
		// in slow start and after a 429 fewer (at least one), so that the
		// writes of one $batch do not need the tenant's whole burst at
		// once. Tenants apart.
		ctx := ctxT(t)
		l := h.New(t).Limiter
		n, err := l.MaxWrites(ctx, "tenant-a")
		require.NoError(t, err)
		require.Equal(t, Limit.Burst, n, "at the configured rate")
		require.NoError(t, l.Backoff(ctx, "tenant-a", time.Millisecond))
		n, err = l.MaxWrites(ctx, "tenant-a")
		require.NoError(t, err)
		require.Less(t, n, Limit.Burst, "throttled")
		require.GreaterOrEqual(t, n, 1)
		n, err = l.MaxWrites(ctx, "tenant-b")
		require.NoError(t, err)
		require.Equal(t, Limit.Burst, n, "tenants apart")
		if s := h.New(t).SlowStarting; s != nil {
			n, err = s.MaxWrites(ctx, "tenant-c")
			require.NoError(t, err)
			require.Less(t, n, Limit.Burst, "in slow start")
			require.GreaterOrEqual(t, n, 1)
		}
		_, err = l.MaxWrites(ctx, "")
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
	{"InvalidArguments", func(t *testing.T, h Harness) {
		ctx, l := ctxT(t), h.New(t).Limiter
		_, err := l.Reserve(ctx, "tenant-a", Limit.Burst+1)
		require.ErrorIs(t, err, redisx.ErrInvalid)
		_, err = l.Reserve(ctx, "tenant-a", 0)
		require.ErrorIs(t, err, redisx.ErrInvalid)
		_, err = l.Reserve(ctx, "", 1)
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
}
