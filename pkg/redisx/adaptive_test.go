package redisx

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

// TestAdaptiveRate: a 429 (Backoff) lowers the rate the whole fleet uses,
// the 429s of one collision count once, and the rate climbs back by a step
// per quiet interval up to the configured limit.
func TestAdaptiveRate(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	now := time.UnixMilli(1_000_000)
	clock := func() time.Time { return now }
	limit := redis_rate.Limit{Rate: 600, Burst: 100, Period: time.Minute}
	fleet := func() *Limiter {
		l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).
			WithAdaptive(Adaptive{Decrease: 0.5, Hold: 2 * time.Second, Step: 0.05, Interval: 5 * time.Second, Floor: 0.02})
		l.now = clock
		return l
	}
	a, b := fleet(), fleet()
	rate := func() float64 {
		r, _, err := b.Rate(ctx, "tenant-a")
		require.NoError(t, err)
		return r
	}
	require.Equal(t, 600.0, rate())

	require.NoError(t, a.Backoff(ctx, "tenant-a", time.Millisecond))
	require.NoError(t, a.Backoff(ctx, "tenant-a", time.Millisecond)) // same collision
	require.Equal(t, 300.0, rate(), "halved once, seen by every writer")
	r, lowered, err := b.Rate(ctx, "tenant-b")
	require.NoError(t, err)
	require.Equal(t, 600.0, r)
	require.False(t, lowered, "tenants adapt apart")

	now = now.Add(3 * time.Second) // past Hold: a new collision
	require.NoError(t, b.Backoff(ctx, "tenant-a", time.Millisecond))
	require.Equal(t, 150.0, rate())
	time.Sleep(5 * time.Millisecond) // the pause key expires

	// The lowered rate is applied, paced: no burst beyond one request.
	d, err := a.Reserve(ctx, "tenant-a", 20)
	require.NoError(t, err)
	require.Zero(t, d)
	d, err = a.Reserve(ctx, "tenant-a", 1)
	require.NoError(t, err)
	require.Positive(t, d, "no burst once lowered")

	for want := 180.0; want <= 600; want += 30 {
		now = now.Add(5 * time.Second)
		_, err := a.Reserve(ctx, "tenant-a", 1)
		require.NoError(t, err)
		require.InDelta(t, want, rate(), 0.001)
		_, err = a.Reserve(ctx, "tenant-a", 1) // same interval: no second step
		require.NoError(t, err)
		require.InDelta(t, want, rate(), 0.001)
	}
	_, lowered, err = b.Rate(ctx, "tenant-a")
	require.NoError(t, err)
	require.False(t, lowered, "back at the configured limit")

	off := fleet().WithAdaptive(Adaptive{Off: true})
	require.NoError(t, off.Backoff(ctx, "tenant-c", time.Millisecond))
	r, lowered, err = off.Rate(ctx, "tenant-c")
	require.NoError(t, err)
	require.Equal(t, 600.0, r)
	require.False(t, lowered)
}
