package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/synclog"
)

var fiveServices = []string{"scheduler", "synclog", "reader", "transformer", "writer"}

// killAt is one planned kill -9: the victim, and the moment, either while
// the reader still pages the source (after Delay) or once Frac of the
// cycle's objects are logged.
type killAt struct {
	Victim  string
	Reading bool
	Delay   time.Duration
	Frac    float64
}

func (k killAt) String() string {
	if k.Reading {
		return fmt.Sprintf("%s while reading (+%s)", k.Victim, k.Delay)
	}
	return fmt.Sprintf("%s at %.0f%% logged", k.Victim, 100*k.Frac)
}

// due says whether the kill's moment came; est is the number of objects
// the cycle should log, until the reader tells (Expected).
func (k killAt) due(p synclog.Progress, est int64) bool {
	if k.Reading {
		return p.ReaderFinished.IsZero() && time.Since(p.Started) > k.Delay
	}
	if p.Expected > 0 {
		est = p.Expected
	}
	return float64(p.Logged) >= k.Frac*float64(est)
}

func planKills(rng *rand.Rand, n int, victims []string) []killAt {
	plan := make([]killAt, n)
	for i := range plan {
		plan[i] = killAt{Victim: victims[rng.IntN(len(victims))], Reading: rng.IntN(3) == 0,
			Delay: time.Duration(100+rng.IntN(800)) * time.Millisecond, Frac: 0.05 + 0.85*rng.Float64()}
	}
	// Progress only moves forward: the kills fire in order of their point.
	for i := 1; i < len(plan); i++ {
		for j := i; j > 0 && plan[j].before(plan[j-1]); j-- {
			plan[j], plan[j-1] = plan[j-1], plan[j]
		}
	}
	return plan
}

func (k killAt) before(o killAt) bool {
	if k.Reading != o.Reading {
		return k.Reading
	}
	if k.Reading {
		return k.Delay < o.Delay
	}
	return k.Frac < o.Frac
}

// TestE2EFaultRandomKills kill -9s random services at random points of an
// initial and a delta cycle (seeded; the seed is logged), restarting each
// at once; the target must mirror the source and every object of each
// cycle must have exactly one provisioning log entry.
func TestE2EFaultRandomKills(t *testing.T) {
	size := faultSizeOf(t)
	rng := faultRand(t)
	c := newCluster(t, clusterSpec{Users: size.Users, Groups: 4, TargetUsers: 10,
		// Slow enough that kills land mid-cycle: paged, latent reads,
		// writes at 20/s.
		SourceLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Latency: 100 * time.Millisecond},
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		Flags:        append([]string{"-writer.writes-per-minute=1200", "-reader.page-size=20"}, fastRedelivery...),
	})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), size.Timeout)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())

	fig := faultFigures{Class: "kill -9 of random services"}
	midCycle := 0
	est := int64(len(c.source.UserIDs()) + len(c.source.GroupIDs()))
	for round, name := range []string{"initial", "delta"} {
		if round == 1 {
			did := randomChanges(t, rng, c.source, size.Changes)
			t.Logf("source changes: %v", did)
			est = 0
			for _, n := range did {
				est += int64(n)
			}
		}
		plan := planKills(rng, size.KillsPerCycle, fiveServices)
		t.Logf("%s cycle: planned kills %v", name, plan)
		cycle := c.startCycle(ctx, cfgID)
		var lastKill time.Time
		next := 0
		p := c.waitCycle(ctx, cfgID, cycle, func(p synclog.Progress) {
			if next >= len(plan) || !plan[next].due(p, est) {
				return
			}
			k := plan[next]
			next++
			t.Logf("%s cycle: kill -9 %s (%d/%d logged)", name, k, p.Logged, p.Expected)
			lastKill = time.Now()
			midCycle++
			c.kill(k.Victim)
			c.startService(k.Victim, k.Victim)
		})
		if !lastKill.IsZero() {
			fig.Recovered = max(fig.Recovered, time.Since(lastKill))
		}
		lost, dup := c.checkCycle(ctx, m, cfgID, cycle, p)
		fig.Objects += p.Expected
		fig.Lost += lost
		fig.Dup += dup
		for _, k := range plan[next:] {
			// The cycle outran these kill points: kill between cycles, so
			// the replacement still serves the next cycle.
			t.Logf("%s cycle completed before %s; killing it after the cycle", name, k)
			c.kill(k.Victim)
			c.startService(k.Victim, k.Victim)
		}
	}
	t.Logf("%d kills mid-cycle, %d between cycles", midCycle, 2*size.KillsPerCycle-midCycle)
	fig.log(t)
}
