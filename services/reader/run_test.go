package reader_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/reader"
)

// TestRunStartsAndStopsCycles drives the service through JetStream as the
// scheduler does: a CycleStop abandons a running cycle without moving the
// watermark's links, and the next CycleStart reads normally.
func TestRunStartsAndStopsCycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 300, groups: 3, pageSize: 100})
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	e.drainChanges()
	e.cycleEnds()
	before := e.watermark(redisx.Users)

	src := &hookSource{Source: e.client}
	reached := make(chan struct{})
	src.before = func(ctx context.Context, n int) error {
		if n == 1 {
			close(reached)
			<-ctx.Done() // a slow Graph page; only the stop ends it
			return ctx.Err()
		}
		return nil
	}
	e.sources.Set(testCfg, src)

	runCtx, stopRun := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() { done <- e.reader.Run(runCtx) }()

	e.command(natsx.CycleVerbStart, start("c2", delta), "c2/start")
	<-reached
	require.Equal(t, "c2", e.reader.Running(testCfg))
	e.command(natsx.CycleVerbStop, &eventsv1.CycleStop{ConfigurationId: testCfg, CycleId: "c2", Reason: "JobPaused"}, "c2/stop")
	eventually(t, func() bool { return e.reader.Running(testCfg) == "" })

	after := e.watermark(redisx.Users)
	require.Equal(t, before.DeltaLink, after.DeltaLink, "links did not move")
	require.Empty(t, after.NextLink)
	require.Empty(t, e.drainChanges().changes)
	require.Empty(t, e.cycleEnds())
	cons, err := e.js.Consumer(ctxT(t), natsx.StreamCycles, natsx.ConsumerReaderCycles)
	require.NoError(t, err)
	eventually(t, func() bool { // the stopped start was acknowledged, not redelivered
		lag, err := natsx.Pending(ctxT(t), cons)
		return err == nil && lag.Total() == 0
	})

	// A change and the next start: read to the end by the service.
	src.before = nil
	id := e.tenant.UserIDs()[0]
	require.NoError(t, e.client.UpdateUser(ctxT(t), id, map[string]any{"jobTitle": "CTO"}))
	e.command(natsx.CycleVerbStart, start("c3", delta), "c3/start")
	var ends []*eventsv1.CycleEnd
	eventually(t, func() bool { ends = append(ends, e.cycleEnds()...); return len(ends) > 0 })
	require.Equal(t, "c3", ends[0].GetCycleId())
	require.EqualValues(t, 1, ends[0].GetChangesPublished())
	require.Equal(t, map[string]eventsv1.ChangeKind{id: upsert}, e.drainChanges().kinds())
	eventually(t, func() bool { return e.watermark(redisx.Users).CycleID == "c3" })

	stopRun()
	require.NoError(t, <-done)
}

// TestLostRace: another party moves the watermark mid-cycle (a second
// reader, or the scheduler's restart); this reader stops at its next
// commit and writes nothing more.
func TestLostRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 300, groups: 2, pageSize: 100})
	src := &hookSource{Source: e.client}
	src.before = func(ctx context.Context, n int) error {
		if n == 2 {
			_, err := e.wm.Reset(ctx, testCfg, redisx.Users)
			return err
		}
		return nil
	}
	e.sources.Set(testCfg, src)
	err := e.reader.RunCycle(ctxT(t), start("c1", full))
	require.ErrorIs(t, err, reader.ErrLostRace)
	require.ErrorIs(t, err, redisx.ErrConflict)
	wm := e.watermark(redisx.Users)
	require.Empty(t, wm.NextLink, "the winner's state stands")
	require.Empty(t, wm.CycleID)
	require.Empty(t, e.cycleEnds())
}
