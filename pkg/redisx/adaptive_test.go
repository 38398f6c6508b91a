package redisx

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

// step is one event of an adaptive-rate scenario: advance the clock, then
// a 429 (Backoff) or a reservation (which takes the due raise), then the
// rate every writer of the fleet reads.
type step struct {
	after time.Duration
	got   string // "429" or "reserve"
	rate  float64
}

// TestAdaptiveRate: the shared rate follows the tenant's 429s: a hard
// step down while nothing ran quiet, back to the last quiet rate after
// climbing past the tenant's limit, a gentle step when a once-quiet rate
// collides; up again by halving the gap to 5% under the last 429's rate,
// a rest there, then probes that double until the configured rate.
// Configured 600/min; Decrease 0.5, Near 0.9, Margin 5%, Plateau 2,
// Probe 10%, Interval 5 s, Hold 2 s, Floor 2% (12/min).
func TestAdaptiveRate(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	limit := redis_rate.Limit{Rate: 600, Burst: 100, Period: time.Minute}
	ad := Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 5 * time.Second,
		Margin: 0.05, Plateau: 2, Probe: 0.1, Floor: 0.02}
	const s = time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{"one collision counts once, another before a quiet interval steps down hard", []step{
			{0, "429", 300}, {s, "429", 300}, {3 * s, "429", 150},
		}},
		{"no raise before a quiet interval: a held 429 is not quiet", []step{
			{0, "429", 300}, {s, "429", 300}, {4 * s, "reserve", 300}, {s / 2, "reserve", 300}, {s / 2, "reserve", 435},
			{s, "reserve", 435},
		}},
		{"halves the gap to 5% under the ceiling, rests, probes back to the configured rate", []step{
			{0, "429", 300},
			{5 * s, "reserve", 435}, {5 * s, "reserve", 502.5}, {5 * s, "reserve", 536.25}, {5 * s, "reserve", 553.125},
			{5 * s, "reserve", 561.5625}, {5 * s, "reserve", 565.78125},
			{5 * s, "reserve", 570},                          // within 0.5% of the target: at it
			{5 * s, "reserve", 570}, {5 * s, "reserve", 570}, // plateau
			{5 * s, "reserve", 600}, // 627 passes the configured rate: back to it
		}},
		{"a 429 after climbing goes back to the last quiet rate", []step{
			{0, "429", 300}, {5 * s, "reserve", 435},
			{s, "429", 300}, // ceiling 435: target 413.25
			{5 * s, "reserve", 356.625}, {5 * s, "reserve", 384.9375},
			{s, "429", 356.625}, // ceiling 384.9375: target 365.69
			{5 * s, "reserve", 361.1578125},
		}},
		{"a 429 at a rate that ran quiet steps down gently, then hard", []step{
			{0, "429", 300}, {5 * s, "reserve", 435}, {s, "429", 300},
			{3 * s, "429", 270}, // 300 ran quiet before: the tenant's limit moved
			{3 * s, "429", 135}, // and nothing ran quiet since
		}},
		{"probes double; a quiet rate above the ceiling forgets it", []step{
			{0, "429", 300}, {5 * s, "reserve", 435}, {s, "429", 300},
			{5 * s, "reserve", 356.625}, {5 * s, "reserve", 384.9375}, {5 * s, "reserve", 399.09375},
			{5 * s, "reserve", 406.171875}, {5 * s, "reserve", 409.7109375}, {5 * s, "reserve", 413.25},
			{5 * s, "reserve", 413.25}, {5 * s, "reserve", 413.25}, // plateau
			{5 * s, "reserve", 454.575},    // +10%
			{5 * s, "reserve", 545.49},     // 454.575 ran quiet above the ceiling 435: +20%
			{s, "429", 454.575},            // back to the last quiet rate
			{3 * s, "429", 409.1175},       // which collides too: gently
			{5 * s, "reserve", 420.481875}, // half the gap to 5% under the new ceiling 454.575
		}},
		{"never under the floor", []step{
			{0, "429", 300}, {3 * s, "429", 150}, {3 * s, "429", 75}, {3 * s, "429", 37.5},
			{3 * s, "429", 18.75}, {3 * s, "429", 12}, {3 * s, "429", 12},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tenant := "tenant-" + string(rune('a'+i))
			now := time.UnixMilli(1_000_000)
			fleet := func() *Limiter {
				l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(ad)
				l.now = func() time.Time { return now }
				return l
			}
			a, b := fleet(), fleet() // two writers
			for n, st := range tc.steps {
				now = now.Add(st.after)
				switch st.got {
				case "429":
					require.NoError(t, a.Backoff(ctx, tenant, time.Minute))
					// The pause is Retry-After's business, not the rate's.
					require.NoError(t, srv.Client(t).Del(ctx, pauseKey(tenant)).Err())
				case "reserve":
					_, err := a.Reserve(ctx, tenant, 1)
					require.NoError(t, err)
				}
				r, lowered, err := b.Rate(ctx, tenant)
				require.NoError(t, err)
				require.InDelta(t, st.rate, r, 0.001, "step %d (%s after %s)", n, st.got, st.after)
				require.Equal(t, st.rate < 600, lowered, "step %d", n)
			}
		})
	}
}

// TestAdaptiveRateApplied: tenants adapt apart, a lowered rate allows
// only Slack beyond the request, and Off keeps the configured limit.
func TestAdaptiveRateApplied(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	limit := redis_rate.Limit{Rate: 600, Burst: 100, Period: time.Minute}
	l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).
		WithAdaptive(Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 5 * time.Second,
			Margin: 0.05, Plateau: 2, Probe: 0.1, Floor: 0.02, Slack: time.Second})
	require.NoError(t, l.Backoff(ctx, "tenant-a", time.Minute)) // 300/min: 5 tokens of slack
	require.NoError(t, srv.Client(t).Del(ctx, pauseKey("tenant-a")).Err())
	r, lowered, err := l.Rate(ctx, "tenant-b")
	require.NoError(t, err)
	require.Equal(t, 600.0, r)
	require.False(t, lowered, "tenants adapt apart")

	d, err := l.Reserve(ctx, "tenant-a", 20)
	require.NoError(t, err)
	require.Zero(t, d)
	d, err = l.Reserve(ctx, "tenant-a", 1)
	require.NoError(t, err)
	require.Positive(t, d, "no burst beyond the request and the slack once lowered")
	for range 5 {
		d, err = l.Reserve(ctx, "tenant-b", 20)
		require.NoError(t, err)
		require.Zero(t, d, "the configured burst where nothing collided")
	}

	off := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(Adaptive{Off: true})
	for range 5 {
		d, err = off.Reserve(ctx, "tenant-d", 20)
		require.NoError(t, err)
		require.Zero(t, d, "Off: the configured burst")
	}
	require.NoError(t, off.Backoff(ctx, "tenant-c", time.Minute))
	d, err = off.Reserve(ctx, "tenant-c", 1)
	require.NoError(t, err)
	require.Positive(t, d, "Off still honours Retry-After")
	r, lowered, err = off.Rate(ctx, "tenant-c")
	require.NoError(t, err)
	require.Equal(t, 600.0, r)
	require.False(t, lowered)
}
