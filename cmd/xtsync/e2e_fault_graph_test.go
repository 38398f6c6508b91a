package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// TestE2EFaultGraphConnections: both tenants cut connections (half of
// the cuts after the request took effect, so a write may have happened
// without its answer), trickle bodies out slowly, and have latency
// spikes of seconds. Initial and delta cycles end mirrored, once logged.
func TestE2EFaultGraphConnections(t *testing.T) {
	size := faultSizeOf(t)
	rng := faultRand(t)
	bad := graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, ResetRate: 0.04,
		SlowBodyRate: 0.04, SlowBody: 1500 * time.Millisecond, Latency: 5 * time.Millisecond, LatencyJitter: 20 * time.Millisecond}
	c := newCluster(t, clusterSpec{Users: size.Users, Groups: 4, TargetUsers: 10, SourceLimits: bad, TargetLimits: bad,
		Flags: append([]string{"-writer.writes-per-minute=3000", "-reader.page-size=50"}, fastRedelivery...)})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), size.Timeout)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())

	// Latency spikes: every few seconds both tenants answer 1-3 s late
	// for a second.
	spikeCtx, stopSpikes := context.WithCancel(ctx)
	var spikes sync.WaitGroup
	spikes.Add(1)
	go func() {
		defer spikes.Done()
		for n := 0; ; n++ {
			select {
			case <-spikeCtx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			spike := bad
			spike.Latency = time.Second + time.Duration(n%3)*time.Second
			_ = c.source.SetLimits(spike)
			_ = c.target.SetLimits(spike)
			select {
			case <-spikeCtx.Done():
			case <-time.After(time.Second):
			}
			_ = c.source.SetLimits(bad)
			_ = c.target.SetLimits(bad)
		}
	}()
	defer func() { stopSpikes(); spikes.Wait() }()

	fig := faultFigures{Class: "Graph connection resets, slow bodies, latency spikes"}
	for round, name := range []string{"initial", "delta"} {
		if round == 1 {
			t.Logf("source changes: %v", randomChanges(t, rng, c.source, size.Changes))
		}
		start := time.Now()
		cycle := c.startCycle(ctx, cfgID)
		p := c.waitCycle(ctx, cfgID, cycle)
		fig.Recovered = max(fig.Recovered, time.Since(start))
		lost, dup := c.checkCycle(ctx, m, cfgID, cycle, p)
		fig.Objects += p.Expected
		fig.Lost += lost
		fig.Dup += dup
		t.Logf("%s cycle: source %+v; target %+v", name, c.source.Stats(), c.target.Stats())
	}
	st := c.target.Stats()
	require.Positive(t, st.Resets, "connections were cut")
	require.Positive(t, st.SlowBodies, "bodies trickled")
	fig.log(t)
}

// TestE2EFaultTargetUnreachable: the target refuses the app (revoked
// credentials) for a while. The cycle's writes fail, the job goes to
// Quarantine with a back-off and starts nothing meanwhile; once access
// is back and the back-off has passed (rewound in Redis: the first
// back-off is an hour), the scheduler runs a cycle by itself, the failed
// objects are retried and the job leaves quarantine.
func TestE2EFaultTargetUnreachable(t *testing.T) {
	size := faultSizeOf(t)
	rng := faultRand(t)
	ok := graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}
	c := newCluster(t, clusterSpec{Users: size.Users, Groups: 4, TargetUsers: 10, TargetLimits: ok,
		Flags: append([]string{"-writer.writes-per-minute=3000"}, fastRedelivery...)})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), size.Timeout)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	p := c.runCycle(ctx, cfgID)
	fig := faultFigures{Class: "target unreachable (revoked app) -> Quarantine -> recovery", Objects: p.Expected}
	c.requireMirrored(m)

	t.Logf("source changes: %v", randomChanges(t, rng, c.source, size.Changes))
	unreachable := ok
	unreachable.Unauthorized = true
	require.NoError(t, c.target.SetLimits(unreachable))
	cycle := c.startCycle(ctx, cfgID)
	p = c.waitCycle(ctx, cfgID, cycle)
	require.Positive(t, p.Failed, "the writes failed: %v", p.ByStatus)
	job := c.waitJob(ctx, cfgID, func(j *schedulerv1.Job) bool {
		return j.GetState() == schedulerv1.JobState_JOB_STATE_QUARANTINE
	})
	next := job.GetQuarantine().GetNextAttemptTime().AsTime()
	t.Logf("quarantined: %s (%s), next attempt %s", job.GetReason(), job.GetQuarantine().GetMessage(), next)
	require.True(t, next.After(time.Now()), "the back-off defers the next attempt")
	last := job.GetLastCycle().GetCycleId()

	// The schedule says due, the back-off says not yet: nothing starts.
	key := "xtsync:{" + cfgID + "}"
	require.NoError(t, c.rdb.HSet(ctx, key+":job", "next", 0).Err())
	time.Sleep(time.Second) // many scheduler ticks (100ms)
	job = c.getJob(ctx, cfgID)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_QUARANTINE, job.GetState())
	require.Empty(t, job.GetCurrentCycle().GetCycleId(), "no cycle during the back-off")

	// Access back, back-off over: the job recovers by itself.
	require.NoError(t, c.target.SetLimits(ok))
	raw, err := c.rdb.Get(ctx, key+":quarantine").Bytes()
	require.NoError(t, err)
	var q map[string]any
	require.NoError(t, json.Unmarshal(raw, &q))
	q["nextAttempt"] = time.Now().Add(-time.Second).UnixMilli()
	raw, err = json.Marshal(q)
	require.NoError(t, err)
	restored := time.Now()
	require.NoError(t, c.rdb.Set(ctx, key+":quarantine", raw, 0).Err())
	var auto string
	c.waitJob(ctx, cfgID, func(j *schedulerv1.Job) bool {
		auto = j.GetCurrentCycle().GetCycleId()
		if auto == "" && j.GetLastCycle().GetCycleId() != last {
			auto = j.GetLastCycle().GetCycleId()
		}
		return auto != "" && auto != last
	})
	p = c.waitCycle(ctx, cfgID, auto)
	require.Zero(t, p.Failed, "the retried objects succeed: %v", p.ByStatus)
	c.waitJob(ctx, cfgID, func(j *schedulerv1.Job) bool {
		return j.GetState() == schedulerv1.JobState_JOB_STATE_ACTIVE && j.GetQuarantine() == nil
	})
	fig.Recovered = time.Since(restored)
	fig.Objects += p.Expected
	for _, prob := range m.Diff(c.source, c.target) {
		fig.Lost++
		t.Log(prob)
	}
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, auto, p.Expected)
	fig.log(t)
}

func (c *cluster) getJob(ctx context.Context, cfgID string) *schedulerv1.Job {
	c.t.Helper()
	resp, err := c.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cfgID})
	require.NoError(c.t, err)
	return resp.GetJob()
}

// waitJob polls the job until ok (bounded by ctx).
func (c *cluster) waitJob(ctx context.Context, cfgID string, ok func(*schedulerv1.Job) bool) *schedulerv1.Job {
	c.t.Helper()
	for {
		j := c.getJob(ctx, cfgID)
		if ok(j) {
			return j
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("job %s: %v; last state %v (%s)", cfgID, ctx.Err(), j.GetState(), j.GetReason())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
