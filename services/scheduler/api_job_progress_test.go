package scheduler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// cycleCounters writes a cycle's counters the way the log service keeps
// them (services/synclog counters.go: one hash per cycle).
func (e *env) cycleCounters(cfg, cycle string, fields map[string]any) {
	e.t.Helper()
	require.NoError(e.t, e.rdb.HSet(ctxT(e.t), "xtsync:{"+cfg+"}:cycle:"+cycle, fields).Err())
}

// TestJobCycleSummaries: GetJob reports the current and last cycle from
// the log service's counters in Redis, through the cycle's life.
func TestJobCycleSummaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(e.sched)
	id := e.create(validConfig(tenantA, tenantB)).GetId()
	resp, err := e.admin().StartJob(ctxT(t), &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	cycle := resp.GetJob().GetCurrentCycle().GetCycleId()
	require.NotEmpty(t, cycle)
	require.Zero(t, resp.GetJob().GetCurrentCycle().GetPercentComplete(), "no counters yet")
	completed := e.clock.Now().Add(3 * time.Minute).Truncate(time.Millisecond)

	type want struct {
		current, last bool
		percent       float64
		byAction      map[string]int64
		byStatus      map[string]int64
		trace         string
		end           time.Time
	}
	steps := []struct {
		name  string
		setup func()
		want  want
	}{
		{name: "started, nothing logged", setup: func() {
			e.cycleCounters(id, cycle, map[string]any{"start_ms": e.clock.Now().UnixMilli(), "mode": "delta", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
		}, want: want{current: true, trace: "4bf92f3577b34da6a3ce929d0e0e4736"}},
		{name: "entries logged, total unknown until the reader ends", setup: func() {
			e.cycleCounters(id, cycle, map[string]any{"logged": 4, "action:Create": 3, "action:Skip": 1, "status:Success": 3, "status:Skipped": 1})
		}, want: want{current: true, byAction: map[string]int64{"Create": 3, "Skip": 1},
			byStatus: map[string]int64{"Success": 3, "Skipped": 1}, trace: "4bf92f3577b34da6a3ce929d0e0e4736"}},
		{name: "reader ended: percent of the expected", setup: func() {
			e.cycleCounters(id, cycle, map[string]any{"expected": 10, "end_ms": e.clock.Now().UnixMilli()})
			e.endCycle(id, cycle)
			require.Eventually(t, func() bool { return e.job(id).GetCurrentCycle() == nil }, waitFor, poll)
		}, want: want{last: true, percent: 40, byAction: map[string]int64{"Create": 3, "Skip": 1},
			byStatus: map[string]int64{"Success": 3, "Skipped": 1}, trace: "4bf92f3577b34da6a3ce929d0e0e4736"}},
		{name: "every entry logged: complete", setup: func() {
			e.cycleCounters(id, cycle, map[string]any{"logged": 10, "action:Create": 9, "status:Success": 9, "complete_ms": completed.UnixMilli()})
		}, want: want{last: true, percent: 100, byAction: map[string]int64{"Create": 9, "Skip": 1},
			byStatus: map[string]int64{"Success": 9, "Skipped": 1}, trace: "4bf92f3577b34da6a3ce929d0e0e4736", end: completed}},
		{name: "counters expired: the job record", setup: func() {
			require.NoError(t, e.rdb.Del(ctxT(t), "xtsync:{"+id+"}:cycle:"+cycle).Err())
		}, want: want{last: true, percent: 100, end: e.clock.Now()}},
	}
	for _, s := range steps {
		s.setup()
		j := e.job(id)
		sum := j.GetCurrentCycle()
		if s.want.last {
			require.Nil(t, sum, s.name)
			sum = j.GetLastCycle()
		}
		require.NotNil(t, sum, s.name)
		require.Equal(t, cycle, sum.GetCycleId(), s.name)
		require.Equal(t, "delta", sum.GetMode(), s.name)
		require.NotNil(t, sum.GetStartTime(), s.name)
		require.InDelta(t, s.want.percent, sum.GetPercentComplete(), 0.001, s.name)
		require.Equal(t, s.want.trace, sum.GetTraceId(), s.name)
		if s.want.byAction == nil {
			require.Empty(t, sum.GetByAction(), s.name)
		} else {
			require.Equal(t, s.want.byAction, sum.GetByAction(), s.name)
			require.Equal(t, s.want.byStatus, sum.GetByStatus(), s.name)
		}
		if s.want.end.IsZero() {
			require.Nil(t, sum.GetEndTime(), s.name)
		} else {
			require.True(t, s.want.end.Equal(sum.GetEndTime().AsTime()), "%s: end %v, want %v", s.name, sum.GetEndTime().AsTime(), s.want.end)
		}
	}
}
