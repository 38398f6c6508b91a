package synclog_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/synclog"
)

const (
	create = eventsv1.WriteAction_WRITE_ACTION_CREATE
	update = eventsv1.WriteAction_WRITE_ACTION_UPDATE
	skip   = eventsv1.WriteAction_WRITE_ACTION_SKIP
	del    = eventsv1.WriteAction_WRITE_ACTION_DELETE
)

// A batch delivered twice (two message ids, as after the writer's
// duplicate window) and an overlapping batch log each entry once, and the
// counters count each once.
func TestOutcomesLoggedOnceAndCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("c1")
	b1 := []*eventsv1.WriteOutcome{
		outcome("c1", 1, create, true, ""),
		outcome("c1", 2, update, true, ""),
		outcome("c1", 3, skip, true, "NotInScope"),
		outcome("c1", 4, create, false, "EntryConflict"),
	}
	e.publishBatch(cfgID, "c1", "b1", b1...)
	e.publishBatch(cfgID, "c1", "b1-again", b1...)
	e.publishBatch(cfgID, "c1", "b2", outcome("c1", 4, create, false, "EntryConflict"), outcome("c1", 5, update, true, ""))
	p := e.progress("c1", func(p synclog.Progress) bool { return p.Logged == 5 })
	require.EqualValues(t, -1, p.Expected)
	require.Zero(t, p.PercentComplete(), "the total is unknown before CycleEnd")
	require.Equal(t, "full", p.Mode)
	require.Equal(t, map[string]int64{"Create": 2, "Update": 2, "Skip": 1}, p.ByAction)
	require.Equal(t, map[string]int64{"Success": 3, "Skipped": 1, "Failure": 1}, p.ByStatus)

	// The three batches are acked only after their entries are stored.
	require.Eventually(t, func() bool { return e.logCount(cfgID, "c1") == 5 }, defaultWait, tick)
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 1)
	require.Equal(t, "src-00004", escrows[0].ObjectID)
	require.EqualValues(t, 1, escrows[0].Count, "a redelivered failure is escrowed once")
	require.Equal(t, "EntryConflict", escrows[0].Code)
	revisit, err := e.rdb.SMembers(ctxT(t), synclog.RevisitKey(cfgID)).Result()
	require.NoError(t, err)
	require.Equal(t, []string{"src-00004"}, revisit, "the escrowed object is read again next cycle")

	// The failing object succeeds later: its escrow is cleared.
	e.publishBatch(cfgID, "c1", "b3", outcome("c1", 6, update, true, ""), withIntent(outcome("c1", 4, update, true, ""), "c1/src-00004/retry"))
	e.progress("c1", func(p synclog.Progress) bool { return p.Logged == 7 })
	escrows, err = e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Empty(t, escrows)

	// CycleEnd: 8 changes expected; 7 logged is 87.5 %, the 8th completes.
	e.endCycle("c1", 8)
	p = e.progress("c1", func(p synclog.Progress) bool { return p.Expected == 8 })
	require.InDelta(t, 87.5, p.PercentComplete(), 0.01)
	require.True(t, p.Completed.IsZero())
	e.endCycle("c1", 8) // same message id: dropped by JetStream
	e.publishBatch(cfgID, "c1", "b4", outcome("c1", 8, del, true, ""))
	p = e.progress("c1", func(p synclog.Progress) bool { return !p.Completed.IsZero() })
	require.EqualValues(t, 100, p.PercentComplete())
	require.Equal(t, "healthy", p.Verdict)
	require.False(t, p.ReaderFinished.IsZero())

	ids, err := synclog.NewProgressReader(e.rdb).Recent(ctxT(t), cfgID, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"c1"}, ids)
}

func withIntent(o *eventsv1.WriteOutcome, id string) *eventsv1.WriteOutcome {
	o.IntentId = id
	return o
}

// A cycle that fails on more than 60 % of >= 100 writes quarantines the
// job once; a later cycle with successes releases it.
func TestQuarantineEnteredAndReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("bad")
	for b := range 3 {
		var outs []*eventsv1.WriteOutcome
		for i := b * 50; i < (b+1)*50; i++ {
			outs = append(outs, outcome("bad", i, create, i%10 < 2, map[bool]string{false: "InvalidAttributeValue", true: ""}[i%10 < 2]))
		}
		e.publishBatch(cfgID, "bad", fmt.Sprintf("bad-%d", b), outs...)
	}
	e.endCycle("bad", 150)
	p := e.progress("bad", func(p synclog.Progress) bool { return !p.Completed.IsZero() })
	require.Equal(t, synclog.ReasonEscrowProportion, p.Verdict)
	require.EqualValues(t, 120, p.Failed)
	q := e.quarantine(func(q redisx.Quarantine, err error) bool { return err == nil })
	require.Equal(t, synclog.ReasonEscrowProportion, q.Reason)
	require.Zero(t, q.SeriesCount, "entered once, although three batches and CycleEnd passed the threshold")
	require.Contains(t, q.Message, "writes of cycle bad failed")

	e.startCycle("good")
	e.publishBatch(cfgID, "good", "good-0", outcome("good", 1, update, true, ""), outcome("good", 2, update, false, "EntryConflict"))
	e.endCycle("good", 2)
	p = e.progress("good", func(p synclog.Progress) bool { return p.Verdict != "" })
	require.Equal(t, "healthy", p.Verdict)
	e.quarantine(func(_ redisx.Quarantine, err error) bool { return errors.Is(err, redisx.ErrNotFound) })
}

// Authentication failures on every write quarantine before the cycle ends.
func TestQuarantineOnAuthFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *synclog.Config) { c.Quarantine.AuthMinFailures = 5 })
	e.startCycle("auth")
	var outs []*eventsv1.WriteOutcome
	for i := range 5 {
		o := outcome("auth", i, create, false, "GraphRequestRejected")
		o.Error.Message = "Graph 401 InvalidAuthenticationToken: Access token has expired"
		outs = append(outs, o)
	}
	e.publishBatch(cfgID, "auth", "a0", outs...)
	p := e.progress("auth", func(p synclog.Progress) bool { return p.Verdict != "" })
	require.Equal(t, synclog.ReasonAuthFailures, p.Verdict)
	require.True(t, p.Completed.IsZero(), "decided mid-cycle")
	q := e.quarantine(func(q redisx.Quarantine, err error) bool { return err == nil })
	require.Equal(t, synclog.ReasonAuthFailures, q.Reason)
}

// Held deprovisions are logged as skipped, never escrowed, and (when
// configured) enter TooManyDeletes, which a healthy cycle does not release.
func TestHeldDeprovisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *synclog.Config) { c.Quarantine.HeldDeletes = true })
	e.startCycle("h")
	o := outcome("h", 1, del, false, synclog.CodeDeletionThresholdExceeded)
	e.publishBatch(cfgID, "h", "h0/held", o, outcome("h", 2, update, true, ""))
	// Released later by the admin: the same intent id, now written.
	e.publishBatch(cfgID, "h", "h0/released", outcome("h", 1, del, true, ""))
	e.endCycle("h", 2)
	p := e.progress("h", func(p synclog.Progress) bool { return p.Verdict != "" && p.Logged == 3 })
	require.EqualValues(t, 3, p.Logged)
	require.EqualValues(t, 1, p.Held)
	require.Equal(t, map[string]int64{"Success": 2, "Skipped": 1}, p.ByStatus)
	require.Equal(t, "healthy", p.Verdict)
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Empty(t, escrows)
	revisit, err := e.rdb.SMembers(ctxT(t), synclog.RevisitKey(cfgID)).Result()
	require.NoError(t, err)
	require.Empty(t, revisit, "a held deprovision waits for the admin, not for the next cycle")
	q := e.quarantine(func(q redisx.Quarantine, err error) bool { return err == nil })
	require.Equal(t, synclog.ReasonTooManyDeletes, q.Reason)
	require.Equal(t, uint64(3), e.logCount(cfgID, "h"))
}

// A job whose every write is refused on credentials is quarantined even
// when its cycles are small: once each cycle completes. The back-off grows
// while it stays broken, and the first cycle with a success releases it.
func TestAuthQuarantineOfSmallCyclesBacksOffAndRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // AuthMinFailures 20: more than these cycles write
	denied := func(cycle string, i int) *eventsv1.WriteOutcome {
		return outcome(cycle, i, update, false, "AuthorizationDenied")
	}
	// An admin's on-demand test of one object does not quarantine the job.
	e.publishCycle(cfgID, natsx.CycleVerbStart, "od/start", &eventsv1.CycleStart{
		ConfigurationId: cfgID, CycleId: "od", Mode: eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND, RequestedAt: timestamppb.Now()})
	e.publishBatch(cfgID, "od", "od-0", denied("od", 1))
	e.endCycle("od", 1)
	p := e.progress("od", func(p synclog.Progress) bool { return !p.Completed.IsZero() && p.Verdict != "" })
	require.Equal(t, "inconclusive", p.Verdict)
	_, err := e.quar.Get(ctxT(t), cfgID)
	require.ErrorIs(t, err, redisx.ErrNotFound)

	var nexts []redisx.Quarantine
	for n, cycle := range []string{"d1", "d2"} {
		e.startCycle(cycle)
		e.publishBatch(cfgID, cycle, cycle+"-0", denied(cycle, 1), denied(cycle, 2), outcome(cycle, 3, skip, true, "NotInScope"))
		p := e.progress(cycle, func(p synclog.Progress) bool { return p.Logged == 3 })
		require.Empty(t, p.Verdict, "not decided while the cycle may still succeed")
		e.endCycle(cycle, 3)
		p = e.progress(cycle, func(p synclog.Progress) bool { return p.Verdict != "" })
		require.Equal(t, synclog.ReasonAuthFailures, p.Verdict)
		q := e.quarantine(func(q redisx.Quarantine, err error) bool { return err == nil && q.SeriesCount == int64(n) })
		require.Equal(t, synclog.ReasonAuthFailures, q.Reason)
		require.Contains(t, q.Message, "credentials")
		nexts = append(nexts, q)
	}
	require.Greater(t, nexts[1].NextAttempt.Sub(nexts[1].CurrentBegan), nexts[0].NextAttempt.Sub(nexts[0].CurrentBegan), "the back-off grows")

	e.startCycle("ok")
	e.publishBatch(cfgID, "ok", "ok-0", outcome("ok", 1, update, true, ""), outcome("ok", 2, update, true, ""))
	e.endCycle("ok", 2)
	p = e.progress("ok", func(p synclog.Progress) bool { return p.Verdict != "" })
	require.Equal(t, "healthy", p.Verdict)
	e.quarantine(func(_ redisx.Quarantine, err error) bool { return errors.Is(err, redisx.ErrNotFound) })
}
