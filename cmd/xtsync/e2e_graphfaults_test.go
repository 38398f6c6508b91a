package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
)

// TestE2EUnreliableTarget runs an initial cycle against a target tenant
// that misbehaves the way Graph does under load: a share of requests
// answered 500/503/504, a write budget smaller than the writers think
// (429 with Retry-After), latency with jitter. Retries and the shared
// back-off absorb it: the target ends up mirrored, nothing duplicated,
// nothing failed.
func TestE2EUnreliableTarget(t *testing.T) {
	cases := []struct {
		name   string
		limits graphsim.Limits
		flags  []string
	}{
		{"5xx faults", graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, FaultRate: 0.08,
			Latency: 2 * time.Millisecond, LatencyJitter: 10 * time.Millisecond}, nil},
		// The writers budget 6,000 writes/min; the tenant allows 1,200:
		// under the writers' slow start (a quarter of their budget, 1,500)
		// so the first grants already collide.
		{"429 storm", graphsim.Limits{WritesPerMinute: 1200, ReadsPerMinute: -1, Burst: 20},
			[]string{"-writer.writes-per-minute=6000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, clusterSpec{Users: 120, Groups: 6, TargetUsers: 5, TargetLimits: tc.limits,
				Flags: append(tc.flags, fastRedelivery...)})
			sc := mirror.Scope{AllUsers: true}
			m := mirror.New(c.target, sc)
			c.startAllInOne()
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cfgID := c.createConfig(ctx, sc.Rules())
			cycle := c.startCycle(ctx, cfgID)
			p := c.waitCycle(ctx, cfgID, cycle)
			st := c.target.Stats()
			t.Logf("%s: %d requests, %d throttled, %d faults; by status %v", tc.name, st.Requests, st.Throttled, st.Faults, p.ByStatus)
			require.Zero(t, p.Failed, "failed outcomes: %v", p.ByStatus)
			require.Positive(t, st.Throttled+st.Faults, "the target misbehaved")
			c.requireMirrored(m)
			c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)
		})
	}
}
