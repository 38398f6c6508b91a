package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/synclog"
)

// TestE2ECrashOfAnyServiceMidCycle kills one service process with SIGKILL
// in the middle of an initial cycle and again in the middle of a delta
// cycle, starts a new process in its place, and proves that nothing was
// lost and nothing done twice: the target mirrors the source (no user or
// group missing, duplicated or stale, members equal) and every object of
// each cycle has exactly one provisioning log entry.
func TestE2ECrashOfAnyServiceMidCycle(t *testing.T) {
	requireE2E(t)
	for _, victim := range []string{"reader", "transformer", "writer", "synclog", "scheduler"} {
		t.Run(victim, func(t *testing.T) {
			c := newCluster(t, clusterSpec{Users: 200, Groups: 10, TargetUsers: 10,
				// Slow enough that a kill lands mid-cycle: paged, latent
				// source reads; writes at 50/s.
				SourceLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Latency: 40 * time.Millisecond},
				TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
				Flags:        append([]string{"-writer.writes-per-minute=3000", "-reader.page-size=20"}, fastRedelivery...),
			})
			sc := assignedScope(t, c.source, 0)
			m := mirror.New(c.target, sc)
			c.startFive()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cfgID := c.createConfig(ctx, sc.Rules())

			for round, name := range []string{"initial", "delta"} {
				if round == 1 {
					applyChanges(t, c.source, sc)
				}
				cycle := c.startCycle(ctx, cfgID)
				killed := false
				p := c.waitCycle(ctx, cfgID, cycle, func(p synclog.Progress) {
					if killed || !killPoint(victim, p) {
						return
					}
					killed = true
					t.Logf("%s cycle: kill -9 %s at %d/%d logged", name, victim, p.Logged, p.Expected)
					c.kill(victim)
					c.startService(victim, victim)
				})
				if !killed {
					// The cycle outran the kill point: kill between cycles
					// instead, so the replacement is still exercised.
					t.Logf("%s cycle completed before the kill point; killing %s after it", name, victim)
					c.kill(victim)
					c.startService(victim, victim)
				}
				require.Zero(t, p.Failed, "%s cycle: failed outcomes %v", name, p.ByStatus)
				if victim == "reader" {
					// Known gap (services/reader/README.md): a revisit batch
					// the killed reader published but had not committed is
					// still transformed, and the rerun's revisit batch (the
					// set shrank meanwhile) counts only what is left, so the
					// cycle's expected count can miss objects and progress
					// reads complete while the last writes (the released
					// deprovisions) are still under way. Each object is
					// still logged once, and the target comes to mirror the
					// source: nothing is lost.
					c.eventuallyMirrored(ctx, m)
					c.requireLoggedOnceCountedAtLeast(ctx, cfgID, cycle, p.Expected)
					continue
				}
				c.requireMirrored(m)
				c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)
			}
		})
	}
}

// eventuallyMirrored waits until the target mirrors the source, failing
// with the last differences if it does not within a minute.
func (c *cluster) eventuallyMirrored(ctx context.Context, m *mirror.Mirror) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p := m.Diff(c.source, c.target)
		if len(p) == 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			require.Empty(c.t, p, "target differs from the source a minute after the cycle:\n%s", mirror.FirstN(p, 30))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// killPoint picks the moment to kill each service: the reader while it
// still pages the source, the others once work is flowing through them.
func killPoint(victim string, p synclog.Progress) bool {
	switch victim {
	case "reader", "scheduler":
		return p.ReaderFinished.IsZero() && time.Since(p.Started) > 300*time.Millisecond
	default:
		return p.Logged > 0 && (p.Expected < 0 || p.Logged < p.Expected*2/3)
	}
}

// requireLoggedOnceCountedAtLeast is requireLoggedOnce for a cycle whose
// expected count may be short (a killed reader's uncommitted revisit batch).
func (c *cluster) requireLoggedOnceCountedAtLeast(ctx context.Context, cfgID, cycleID string, expected int64) {
	c.t.Helper()
	entries := c.logEntries(ctx, cfgID, cycleID)
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.GetSource().GetType().String()+"/"+e.GetSource().GetObjectId()]++
	}
	for k, n := range seen {
		require.Equal(c.t, 1, n, "object %s logged %d times in cycle %s", k, n, cycleID)
	}
	require.GreaterOrEqual(c.t, int64(len(entries)), expected, "entries of cycle %s", cycleID)
	if int64(len(entries)) > expected {
		c.t.Logf("cycle %s: %d objects logged once each, %d counted (reader rerun)", cycleID, len(entries), expected)
	}
}
