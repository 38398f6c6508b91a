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
	// "429"; "reserve": the writers ask more than the rate gives (one
	// reservation granted, a larger one refused); "free": they ask less
	// (granted); "expire": the state's idle hour passes.
	got  string
	rate float64
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
		{"a 429 within the margin above the last quiet rate goes to the margin under it", []step{
			{0, "429", 300}, {5 * s, "reserve", 435}, {5 * s, "reserve", 502.5}, {5 * s, "reserve", 536.25},
			{5 * s, "reserve", 553.125}, {5 * s, "reserve", 561.5625}, {5 * s, "reserve", 565.78125},
			{s, "429", 537.4921875},         // not back to 561.5625, which the tenant's burst may have hidden
			{5 * s, "reserve", 537.4921875}, // at the target: rests
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
		{"no raise while the writers ask less than the rate", []step{
			{0, "429", 300}, {5 * s, "free", 435}, // the 429 showed the rate bound
			{5 * s, "free", 435}, {5 * s, "free", 435},
			{0, "reserve", 435}, {s, "free", 502.5},
		}},
		{"never under the floor", []step{
			{0, "429", 300}, {3 * s, "429", 150}, {3 * s, "429", 75}, {3 * s, "429", 37.5},
			{3 * s, "429", 18.75}, {3 * s, "429", 12}, {3 * s, "429", 12},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, srv, limit, ad, "tenant-"+string(rune('a'+i)), tc.steps)
		})
	}
}

// runSteps plays steps on two writers of a fleet with a clock of its own
// (the adaptive state's; the GCRA budget keeps Redis time).
func runSteps(t *testing.T, srv *redistest.Server, limit redis_rate.Limit, ad Adaptive, tenant string, steps []step) {
	ctx := context.Background()
	now := time.UnixMilli(1_000_000)
	fleet := func() *Limiter {
		l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(ad)
		l.now = func() time.Time { return now }
		return l
	}
	a, b := fleet(), fleet() // two writers
	for n, st := range steps {
		now = now.Add(st.after)
		switch st.got {
		case "429":
			require.NoError(t, a.Backoff(ctx, tenant, time.Minute))
			// The pause is Retry-After's business, not the rate's.
			require.NoError(t, srv.Client(t).Del(ctx, pauseKey(tenant)).Err())
		case "expire": // what an idle hour does
			require.NoError(t, srv.Client(t).Del(ctx, adaptKey(tenant)).Err())
		case "reserve", "free":
			d, err := a.Reserve(ctx, tenant, 1)
			require.NoError(t, err)
			require.Zero(t, d)
			if st.got == "reserve" {
				d, err = a.Reserve(ctx, tenant, limit.Burst)
				require.NoError(t, err)
				require.Positive(t, d, "step %d: the rate binds", n)
			}
			// Budget left over must not hide a pacing step: the rate, not
			// the tokens, is under test here.
			require.NoError(t, srv.Client(t).Del(ctx, "rate:"+rateKey(tenant)).Err())
		}
		r, lowered, err := b.Rate(ctx, tenant)
		require.NoError(t, err)
		require.InDelta(t, st.rate, r, 0.001, "step %d (%s after %s)", n, st.got, st.after)
		require.Equal(t, st.rate < float64(limit.Rate), lowered, "step %d", n)
	}
}

// TestAdaptiveSlowStart: in slow start a fresh tenant starts at SlowStart
// of the configured rate and doubles each two quiet Intervals until the first
// 429, which goes back to the last doubling that ran quiet and ends the
// slow start (then the gap to the ceiling halves), or the configured
// rate, which it keeps (no second slow start) until an idle hour.
// Configured 600/min, SlowStart 1/8: 75/min; Interval 5 s, as
// TestAdaptiveRate.
func TestAdaptiveSlowStart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	limit := redis_rate.Limit{Rate: 600, Burst: 100, Period: time.Minute}
	ad := Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 5 * time.Second,
		Margin: 0.05, Plateau: 2, Probe: 0.1, Floor: 0.02, SlowStart: 0.125}
	const s = time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{"doubles each quiet interval up to the configured rate, and stays", []step{
			{0, "none", 75}, // before any use: where it will start
			{0, "reserve", 75}, {9 * s, "reserve", 75}, {s, "reserve", 150},
			{10 * s, "reserve", 300}, {10 * s, "reserve", 600},
			{10 * s, "reserve", 600}, {time.Hour - s, "reserve", 600},
		}},
		{"the first 429 goes back to the last quiet doubling, then halves the gap", []step{
			{0, "reserve", 75}, {10 * s, "reserve", 150}, {10 * s, "reserve", 300},
			{s, "429", 150}, // ceiling 300: target 285; one Interval again
			{5 * s, "reserve", 217.5}, {5 * s, "reserve", 251.25},
		}},
		{"a 429 before any doubling halves it", []step{
			{0, "reserve", 75}, {s, "429", 37.5}, {5 * s, "reserve", 37.5 + (71.25-37.5)/2},
		}},
		{"no doubling while the writers ask less than the rate", []step{
			{0, "free", 75}, {10 * s, "free", 75}, {10 * s, "free", 75}, {0, "reserve", 75}, {s, "free", 150},
		}},
		{"idle an hour: starts slow again", []step{
			{0, "reserve", 75}, {10 * s, "reserve", 150}, {10 * s, "reserve", 300}, {10 * s, "reserve", 600},
			{0, "expire", 75}, {0, "reserve", 75},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, srv, limit, ad, "tenant-"+string(rune('a'+i)), tc.steps)
		})
	}
}

// TestSlowStartPaces: in slow start the first request is granted at once
// however large, then grants are paced with a burst (Slack) that grows as
// the rate doubles; without slow start a fresh tenant has the configured
// burst. Configured 1200/min, burst 100, SlowStart 1/8: 150/min, then
// 300/min; Slack 4 s: 10, then 20 tokens beyond a request of one.
func TestSlowStartPaces(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	limit := redis_rate.Limit{Rate: 1200, Burst: 100, Period: time.Minute}
	ad := Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 5 * time.Second,
		Margin: 0.05, Plateau: 2, Probe: 0.1, Floor: 0.02, Slack: 4 * time.Second, SlowStart: 0.125}
	now := time.UnixMilli(1_000_000)
	newLimiter := func(ad Adaptive) *Limiter {
		l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(ad)
		l.now = func() time.Time { return now }
		return l
	}
	// burst counts the grants of one token available at once at rate
	// (per minute); a machine slower than a token's refill counts no bound.
	burst := func(l *Limiter, tenant string, rate int) (int, bool) {
		start := time.Now()
		for n := 0; n <= limit.Burst; n++ {
			d, err := l.Reserve(ctx, tenant, 1)
			require.NoError(t, err)
			if d > 0 {
				return n, time.Since(start) < time.Minute/time.Duration(rate)
			}
		}
		return limit.Burst + 1, time.Since(start) < time.Minute/time.Duration(rate)
	}
	l := newLimiter(ad)
	d, err := l.Reserve(ctx, "tenant-a", limit.Burst)
	require.NoError(t, err)
	require.Zero(t, d, "the first request at once, however large")

	tests := []struct {
		name   string
		tenant string
		after  time.Duration
		rate   int
		want   int
	}{
		{"slow start: one request and the slack", "tenant-b", 0, 150, 11},
		{"two quiet intervals double the rate and the slack", "tenant-b", 10 * time.Second, 300, 21},
		{"and again", "tenant-b", 10 * time.Second, 600, 41},
		{"at the configured rate: its burst", "tenant-b", 10 * time.Second, 1200, 100},
	}
	for _, tc := range tests {
		now = now.Add(tc.after)
		require.NoError(t, srv.Client(t).Del(ctx, "rate:"+rateKey(tc.tenant)).Err())
		if got, timely := burst(l, tc.tenant, tc.rate); timely {
			require.Equal(t, tc.want, got, tc.name)
		}
		r, _, err := l.Rate(ctx, tc.tenant)
		require.NoError(t, err)
		require.Equal(t, float64(tc.rate), r, tc.name)
	}
	steady := ad
	steady.SlowStart = 0
	if got, timely := burst(newLimiter(steady), "tenant-c", limit.Rate); timely {
		require.Equal(t, limit.Burst, got, "without slow start: the configured burst at once")
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

// TestMaxWrites: the writes one request may carry are the burst at the
// configured rate, and Smooth's worth of the adapted rate while the
// tenant is in slow start or throttled, between one and the burst.
// Configured 600/min, burst 100.
func TestMaxWrites(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	limit := redis_rate.Limit{Rate: 600, Burst: 100, Period: time.Minute}
	steady := Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 5 * time.Second,
		Margin: 0.05, Plateau: 2, Probe: 0.1, Floor: 0.02, Smooth: time.Second}
	slow := steady
	slow.SlowStart = 0.5
	with := func(smooth time.Duration) Adaptive { a := steady; a.Smooth = smooth; return a }
	tests := []struct {
		name     string
		adaptive Adaptive
		throttle bool
		want     int
	}{
		{"at the configured rate: the burst", steady, false, 100},
		{"slow start at 300/min: a second's worth", slow, false, 5},
		{"after a 429, at 300/min: a second's worth", steady, true, 5},
		{"never under one", with(10 * time.Millisecond), true, 1},
		{"never over the burst", with(time.Hour), true, 100},
		{"no Smooth: the burst", with(0), true, 100},
		{"adaptation off: the burst", Adaptive{Off: true}, true, 100},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLimiter(srv.Client(t), func(string) redis_rate.Limit { return limit }).WithAdaptive(tc.adaptive)
			tenant := "tenant-" + string(rune('a'+i))
			if tc.throttle {
				require.NoError(t, l.Backoff(ctx, tenant, time.Millisecond))
			}
			n, err := l.MaxWrites(ctx, tenant)
			require.NoError(t, err)
			require.Equal(t, tc.want, n)
		})
	}
	_, err := NewLimiter(srv.Client(t), nil).MaxWrites(ctx, "")
	require.ErrorIs(t, err, ErrInvalid)
}
