package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/scheduler"
)

const waitFor, poll = 30 * time.Second, 10 * time.Millisecond

// startAndEnd starts the job and ends its first cycle as the reader would,
// waiting until the scheduler saw the CycleEnd.
func (e *env) startAndEnd(id string) string {
	e.t.Helper()
	_, err := e.admin().StartJob(ctxT(e.t), &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(e.t, err)
	first := e.starts(id)[0].GetCycleId()
	e.endCycle(id, first)
	require.Eventually(e.t, func() bool { return e.job(id).GetCurrentCycle() == nil }, waitFor, poll)
	return first
}

func TestLeaderStartsCyclesOnSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(e.sched)
	ctx := ctxT(t)
	id := e.createInterval(tenantA, tenantB, 10*time.Minute).GetId()
	first := e.startAndEnd(id)
	job := e.job(id)
	require.Equal(t, first, job.GetLastCycle().GetCycleId())
	require.Equal(t, e.clock.Now().Add(10*time.Minute), job.GetNextRunTime().AsTime())

	// One second early: a tick starts nothing.
	e.clock.Advance(10*time.Minute - time.Second)
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Len(t, e.starts(id), 1)

	// Due: the leader's loop starts a delta cycle and schedules the next.
	e.clock.Advance(time.Second)
	require.Eventually(t, func() bool { return len(e.starts(id)) == 2 }, waitFor, poll)
	second := e.starts(id)[1]
	require.Equal(t, "delta", e.job(id).GetCurrentCycle().GetMode())
	require.Equal(t, second.GetCycleId(), e.job(id).GetCurrentCycle().GetCycleId())
	require.Greater(t, second.GetCycleId(), first, "cycle ids sort by time")
	require.Equal(t, e.clock.Now().Add(10*time.Minute), e.job(id).GetNextRunTime().AsTime())

	// Due again but the cycle still runs: nothing starts until it ends.
	e.clock.Advance(10 * time.Minute)
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Len(t, e.starts(id), 2)
	e.endCycle(id, second.GetCycleId())
	require.Eventually(t, func() bool { return len(e.starts(id)) == 3 }, waitFor, poll)
}

func TestReplicasNeverStartACycleTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	replicas := []*scheduler.Scheduler{e.sched, e.newScheduler(), e.newScheduler()}
	for _, r := range replicas {
		e.run(r)
	}
	const configs, rounds = 4, 5
	var ids []string
	for i := range configs {
		tgt := fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i)
		id := e.createInterval(tenantA, tgt, 5*time.Minute).GetId()
		e.startAndEnd(id)
		ids = append(ids, id)
	}
	require.Eventually(t, func() bool { return leaders(replicas) == 1 }, waitFor, poll)
	for round := 2; round <= rounds+1; round++ {
		e.clock.Advance(5 * time.Minute)
		for _, id := range ids {
			require.Eventually(t, func() bool { return len(e.starts(id)) >= round }, waitFor, poll, "round %d", round)
			require.LessOrEqual(t, leaders(replicas), 1)
			last := e.starts(id)[round-1].GetCycleId()
			e.endCycle(id, last)
			require.Eventually(t, func() bool { return e.job(id).GetCurrentCycle() == nil }, waitFor, poll)
		}
	}
	// Let every replica tick a few more times at the same instant: still
	// exactly one start per due slot.
	e.clock.Advance(time.Minute)
	for _, r := range replicas {
		require.NoError(t, r.Tick(ctxT(t), 0))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		starts := e.starts(id)
		require.Len(t, starts, rounds+1, id)
		for _, s := range starts {
			require.False(t, seen[s.GetCycleId()], "cycle %s started twice", s.GetCycleId())
			seen[s.GetCycleId()] = true
		}
	}
}

func leaders(rs []*scheduler.Scheduler) int {
	n := 0
	for _, r := range rs {
		if r.Leading() {
			n++
		}
	}
	return n
}

func TestLostLeaseStopsScheduling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(e.sched)
	require.Eventually(t, e.sched.Leading, waitFor, poll)
	// Another holder takes the lock (as after a pause longer than the TTL).
	ctx := ctxT(t)
	require.NoError(t, e.rdb.Set(ctx, "xtsync:{leader:"+scheduler.LeaderName+"}:lock", "intruder:999", time.Minute).Err())
	require.Eventually(t, func() bool { return !e.sched.Leading() }, waitFor, poll)
	// And it does not come back while the other holds the lease.
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	e.startAndEnd(id)
	e.clock.Advance(time.Hour)
	require.Never(t, func() bool { return e.sched.Leading() || len(e.starts(id)) > 1 }, 200*time.Millisecond, poll)
	// Once the lock is free again, scheduling resumes.
	require.NoError(t, e.rdb.Del(ctx, "xtsync:{leader:"+scheduler.LeaderName+"}:lock").Err())
	require.Eventually(t, func() bool { return len(e.starts(id)) == 2 }, waitFor, poll)
}

func TestQuarantineDefersCycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.run(e.sched)
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	e.startAndEnd(id)
	q, err := e.deps.Quarantines.Enter(ctx, id, "EncounteredTotalEscrowThreshold", "too many failures", e.clock.Now())
	require.NoError(t, err)
	require.Equal(t, time.Hour, q.NextAttempt.Sub(e.clock.Now()), "redisx's first back-off")

	job := e.job(id)
	require.Equal(t, quarantined, job.GetState())
	require.Equal(t, "EncounteredTotalEscrowThreshold", job.GetReason())
	require.Equal(t, q.NextAttempt, job.GetNextRunTime().AsTime())

	// Past the interval, before the next attempt: deferred.
	e.clock.Advance(30 * time.Minute)
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Len(t, e.starts(id), 1)
	// At the next attempt the cycle runs (a retry of the quarantined job).
	e.clock.Advance(30 * time.Minute)
	require.Eventually(t, func() bool { return len(e.starts(id)) == 2 }, waitFor, poll)
}

// TestExpiredQuarantineDisablesTheJob: a job quarantined for longer than
// the policy allows (four weeks) is paused with QuarantineExpired instead
// of retried forever.
func TestExpiredQuarantineDisablesTheJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.run(e.sched)
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	e.startAndEnd(id)
	_, err := e.deps.Quarantines.Enter(ctx, id, "AuthorizationDenied", "credentials refused", e.clock.Now().Add(-29*24*time.Hour))
	require.NoError(t, err)
	e.clock.Advance(48 * time.Hour)
	require.Eventually(t, func() bool { return e.job(id).GetState() == paused }, waitFor, poll)
	job := e.job(id)
	require.Equal(t, scheduler.ReasonQuarantineExpired, job.GetReason())
	require.Len(t, e.starts(id), 1, "no cycle after the quarantine expired")
}

func TestPausedJobIsNotScheduled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	_, err := e.admin().StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	resp, err := e.client("token-b").PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	require.Equal(t, paused, resp.GetJob().GetState())
	require.Equal(t, scheduler.ReasonJobPaused, resp.GetJob().GetReason())
	stops := e.stops(id)
	require.Len(t, stops, 1)
	require.Equal(t, e.starts(id)[0].GetCycleId(), stops[0].GetCycleId())
	require.Equal(t, id, stops[0].GetConfigurationId())

	e.clock.Advance(24 * time.Hour)
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Len(t, e.starts(id), 1)
}

func TestLostCycleIsRetriedAfterTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	_, err := e.admin().StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	// No CycleEnd ever comes: before the cycle timeout nothing starts...
	e.clock.Advance(e.cfg.CycleTimeout - time.Minute)
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Len(t, e.starts(id), 1)
	// ...after it, the cycle counts as lost and a new one starts.
	e.clock.Advance(2 * time.Minute)
	require.NoError(t, e.sched.Tick(ctx, 0))
	starts := e.starts(id)
	require.Len(t, starts, 2)
	require.Equal(t, starts[0].GetCycleId(), e.job(id).GetLastCycle().GetCycleId())
}

func TestHeldDeletionsPauseTheJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	id := e.createInterval(tenantA, tenantB, 5*time.Minute).GetId()
	_, err := e.admin().StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	cycle := e.starts(id)[0].GetCycleId()
	// The transformer held deprovisions of the running cycle.
	require.NoError(t, e.rdb.HSet(ctx, "xtsync:{"+id+"}:cycle:"+cycle+":held", "intent-1", "x").Err())
	require.NoError(t, e.sched.Tick(ctx, 0))
	job := e.job(id)
	require.Equal(t, paused, job.GetState())
	require.Equal(t, scheduler.ReasonDeletionThresholdExceeded, job.GetReason())
	require.Empty(t, e.stops(id), "the cycle goes on; only its deletions wait")

	// The cycle ends; an approval names the held cycle, not the new one.
	e.clock.Advance(time.Hour)
	resp, err := e.admin().RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: id, ForceDeletes: true})
	require.NoError(t, err)
	require.Equal(t, active, resp.GetJob().GetState())
	approved, err := e.rdb.Get(ctx, "xtsync:{"+id+"}:force-deletes").Result()
	require.NoError(t, err)
	require.Equal(t, cycle, approved)
	// While the transformer releases them (the list still exists), the
	// approved cycle does not pause the job again.
	require.NoError(t, e.sched.Tick(ctx, 0))
	require.Equal(t, active, e.job(id).GetState())
}
