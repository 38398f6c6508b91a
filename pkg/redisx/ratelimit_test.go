package redisx

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

// TestWaitReservesAhead: Wait takes a grant up to waitAhead before its
// time and sleeps until it, so the schedule runs on while the writer
// wakes; Reserve takes only what is due now; nothing beyond waitAhead is
// taken. 120/min, burst 1: a token every 500 ms = waitAhead.
func TestWaitReservesAhead(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	limit := redis_rate.Limit{Rate: 120, Burst: 1, Period: time.Minute}
	l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(Adaptive{Off: true})
	every := limit.Period / time.Duration(limit.Rate)

	start := time.Now()
	tests := []struct {
		name    string
		ahead   time.Duration
		granted bool
	}{
		{"the first token now", waitAhead, true},
		{"Reserve: the next is not due", 0, false},
		{"Wait: the next is within waitAhead: taken", waitAhead, true},
		{"the one after is not", waitAhead, false},
	}
	for _, tc := range tests {
		d, err := l.reserve(ctx, "tenant-a", 1, tc.ahead)
		require.NoError(t, err)
		if time.Since(start) >= every { // a machine that slow has paid a token
			t.Skip("slower than a token's refill")
		}
		require.Equal(t, tc.granted, d <= 0, tc.name)
		require.LessOrEqual(t, d.Abs(), every, tc.name)
	}
}

// TestWaitVoidsReservationInPause: a 429 while a reserved grant waits for
// its time pauses the tenant; the grant is void and Wait returns only
// after the pause.
func TestWaitVoidsReservationInPause(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	limit := redis_rate.Limit{Rate: 120, Burst: 1, Period: time.Minute}
	l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(Adaptive{Off: true})
	require.NoError(t, l.Wait(ctx, "tenant-a", 1)) // the next token is ~500 ms ahead

	const pause = 800 * time.Millisecond
	done := make(chan time.Time)
	go func() {
		_ = l.Wait(ctx, "tenant-a", 1) // reserves the next token, sleeps to it
		done <- time.Now()
	}()
	time.Sleep(50 * time.Millisecond) // let it reserve (if not, it meets the pause first)
	start := time.Now()
	require.NoError(t, l.Backoff(ctx, "tenant-a", pause))
	require.GreaterOrEqual(t, (<-done).Sub(start), pause-5*time.Millisecond, "not before the pause ends")
}
