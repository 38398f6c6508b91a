package writer_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/writer"
)

// batchSpy records, per $batch call in the order the calls were made, the
// writes it carried and the answers Graph gave them; the calls go to the
// real client.
type batchSpy struct {
	graph.Target
	mu    sync.Mutex
	calls []spiedCall
}

type spiedCall struct{ writes, throttled int }

func (s *batchSpy) Batch(ctx context.Context, reqs []graph.BatchRequest) ([]graph.BatchResult, error) {
	res, err := s.Target.Batch(ctx, reqs)
	c := spiedCall{}
	for _, r := range reqs {
		if r.Method != http.MethodGet {
			c.writes++
		}
	}
	for _, r := range res {
		if r.Status == http.StatusTooManyRequests {
			c.throttled++
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	return res, err
}

func (s *batchSpy) maxWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n = max(n, c.writes)
	}
	return n
}

// TestThrottledTenantSmallBatches: while the tenant's shared rate is
// adapted (slow start, after a 429) a $batch carries only the limiter's
// MaxWrites (Smooth's worth at that rate), so a tenant whose burst is one
// $batch absorbs the jitter of a loaded machine; a tenant at its
// configured rate gets full $batch calls. Writers configured at 3,600/min
// (60/s), burst 200; Smooth 200 ms.
func TestThrottledTenantSmallBatches(t *testing.T) {
	t.Parallel()
	steady := redisx.DefaultAdaptive
	steady.SlowStart = 0
	tests := []struct {
		name     string
		adaptive redisx.Adaptive
		throttle bool // a 429 lowered the rate before the writes
		want     int
	}{
		{"at the configured rate: full $batch calls", steady, false, 20},
		{"slow start at 30/s: 6 writes per call", redisx.DefaultAdaptive, false, 6},
		{"after a 429, at 30/s: 6 writes per call", steady, true, 6},
		{"adaptation off: full $batch calls", redisx.Adaptive{Off: true}, true, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(_ *graphsim.Limits, c *writer.Config) { c.WritesPerMinute, c.WriteBurst = 3600, 200 })
			ctx := ctxT(t)
			spy := &batchSpy{Target: e.client}
			lim := redisx.NewLimiter(e.redis.Client(t), e.cfg.LimitFunc()).WithAdaptive(tc.adaptive)
			if tc.throttle {
				require.NoError(t, lim.Backoff(ctx, e.tenant.ID(), time.Millisecond))
			}
			w := e.newWriter(func(d *writer.Deps) {
				d.Targets, d.Limiter = writer.StaticTargets{Default: spy}, lim
			})
			for _, b := range creates(e, "small", 30, 30) {
				requireSuccess(t, applyOK(t, w, b))
			}
			require.Equal(t, tc.want, spy.maxWrites())
		})
	}
}

// TestThrottlePausesBeforeTheNextCall: a 429 pauses the tenant as soon as
// its $batch is answered, so the next call of the same round waits for
// Retry-After instead of meeting the empty bucket too. One call at a time
// of 20 writes, the writers' own rate unbounded; the tenant allows
// 1,200/min with a burst of 20: call 1 empties the bucket, call 2 is
// answered 429 (Retry-After 1 s, the bucket's refill time), call 3 waits
// the pause out and finds the bucket full again. (When the pause waited
// for the round, call 3 followed call 2 at once: 20 more 429s.)
func TestThrottlePausesBeforeTheNextCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(l *graphsim.Limits, c *writer.Config) {
		l.WritesPerMinute, l.Burst = 1200, 20
		c.BatchCalls = 1
	})
	spy := &batchSpy{Target: e.client}
	unbounded := func(string) redis_rate.Limit {
		return redis_rate.Limit{Rate: 1_000_000, Burst: 1000, Period: time.Minute}
	}
	lim := redisx.NewLimiter(e.redis.Client(t), unbounded).WithAdaptive(redisx.Adaptive{Off: true})
	w := e.newWriter(func(d *writer.Deps) { d.Targets, d.Limiter = writer.StaticTargets{Default: spy}, lim })
	// 60 updates of existing users: one write each, 3 calls per round.
	ins := updates(t, e, 60)
	requireSuccess(t, applyOK(t, w, batchOf(e, ins...)))
	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.GreaterOrEqual(t, len(spy.calls), 3)
	require.Equal(t, []spiedCall{{20, 0}, {20, 20}, {20, 0}}, spy.calls[:3])
}

// updates adds n users to the target tenant directly (no Graph budget
// spent) and returns an UPDATE intent of each: one PATCH apiece.
func updates(t *testing.T, e *env, n int) []*eventsv1.WriteIntent {
	t.Helper()
	out := make([]*eventsv1.WriteIntent, n)
	for i := range out {
		u, err := e.tenant.AddUser(graphUser(i, e.tenant.Domain()))
		require.NoError(t, err)
		src := fmt.Sprintf("upd-%04d", i)
		out[i] = intentFor(src, u.ID, actUpdate, "Active", change("jobTitle", "jobTitle", str("Lead")))
	}
	return out
}
