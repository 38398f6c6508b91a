package synclog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/synclog"
)

// flakyEscrows fails the first n RecordFailure calls, after the entries
// of the batch were published: the batch is nak'ed and redelivered.
type flakyEscrows struct {
	redisx.EscrowStore
	fail atomic.Int32
}

func (f *flakyEscrows) RecordFailure(ctx context.Context, cfg, id, code, msg string) (int64, error) {
	if f.fail.Add(-1) >= 0 {
		return 0, errors.New("injected: redis went away")
	}
	return f.EscrowStore.RecordFailure(ctx, cfg, id, code, msg)
}

// requireOneBatch: the cycle's log is one message holding want, in order,
// stored for the OutcomeBatch batchID.
func (e *env) requireOneBatch(cycle, batchID string, want ...string) {
	e.t.Helper()
	msgs := e.logBatches(cfgID, cycle)
	require.Len(e.t, msgs, 1, "one log message per OutcomeBatch, however often delivered")
	var ids []string
	for _, en := range msgs[0].GetEntries() {
		ids = append(ids, en.GetEntryId())
	}
	require.Equal(e.t, want, ids)
	require.Equal(e.t, batchID, msgs[0].GetOutcomeBatchId())
}

// A batch that fails half-way (entries published, escrow not recorded) is
// redelivered by JetStream and then logged, escrowed and counted once.
func TestRedeliveredBatchLoggedOnce(t *testing.T) {
	t.Parallel()
	var flaky *flakyEscrows
	e := newEnvDeps(t, func(d *synclog.Deps) {
		flaky = &flakyEscrows{EscrowStore: d.Escrows}
		flaky.fail.Store(2)
		d.Escrows = flaky
	})
	e.startCycle("r")
	e.publishBatch(cfgID, "r", "r0", outcome("r", 1, create, true, ""), outcome("r", 2, create, false, "EntryConflict"), outcome("r", 3, update, true, ""))
	p := e.progress("r", func(p synclog.Progress) bool { return p.Logged == 3 })
	require.Equal(t, map[string]int64{"Success": 2, "Failure": 1}, p.ByStatus)
	require.LessOrEqual(t, flaky.fail.Load(), int32(-1), "the failure was injected and retried")
	e.requireOneBatch("r", "r0", "r/src-00001/x", "r/src-00002/x", "r/src-00003/x")
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 1)
	require.EqualValues(t, 1, escrows[0].Count)
}

// The same OutcomeBatch published again past JetStream's duplicate window
// (a writer's retry; here under a new message id) logs nothing twice.
func TestRepublishedBatchLoggedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	outs := []*eventsv1.WriteOutcome{outcome("rp", 1, create, true, ""), outcome("rp", 2, update, false, "EntryConflict")}
	e.publishBatch(cfgID, "rp", "rp0", outs...)
	e.progress("rp", func(p synclog.Progress) bool { return p.Logged == 2 })
	e.publishBatch(cfgID, "rp", "rp0-again", outs...)
	e.publishBatch(cfgID, "rp", "rp1", outcome("rp", 3, update, true, ""), outs[0], outcome("rp", 3, update, true, ""))
	p := e.progress("rp", func(p synclog.Progress) bool { return p.Logged == 3 })
	require.EqualValues(t, 1, p.Failed)
	msgs := e.logBatches(cfgID, "rp")
	require.Len(t, msgs, 2, "the repeat stored nothing")
	require.Len(t, msgs[1].GetEntries(), 1, "an outcome repeated in a batch is logged once")
	require.Equal(t, "rp/src-00003/x", msgs[1].GetEntries()[0].GetEntryId())
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 1)
	require.EqualValues(t, 1, escrows[0].Count)
}

// pickyEscrows fails RecordFailure for one object while fail > 0.
type pickyEscrows struct {
	redisx.EscrowStore
	object string
	fail   atomic.Int32
	failed chan struct{} // closed at the first injected failure
	once   sync.Once
}

func (f *pickyEscrows) RecordFailure(ctx context.Context, cfg, id, code, msg string) (int64, error) {
	if id == f.object && f.fail.Add(-1) >= 0 {
		f.once.Do(func() { close(f.failed) })
		return 0, errors.New("injected: redis went away")
	}
	return f.EscrowStore.RecordFailure(ctx, cfg, id, code, msg)
}

// Two OutcomeBatches carry the same outcome and the first fails after
// storing its entries: the second, handled before the first's
// redelivery, leaves that outcome to the batch that owns it, so every
// entry is stored and counted once.
func TestOverlappingBatchesLogOnce(t *testing.T) {
	t.Parallel()
	var picky *pickyEscrows
	e := newEnvDeps(t, func(d *synclog.Deps) {
		picky = &pickyEscrows{EscrowStore: d.Escrows, object: "src-00003", failed: make(chan struct{})}
		picky.fail.Store(3)
		d.Escrows = picky
	})
	shared := outcome("ov", 2, update, true, "")
	e.publishBatch(cfgID, "ov", "ovA", outcome("ov", 1, create, true, ""), shared, outcome("ov", 3, create, false, "EntryConflict"))
	select {
	case <-picky.failed:
	case <-ctxT(t).Done():
		t.Fatal("batch A was not handled")
	}
	e.publishBatch(cfgID, "ov", "ovB", shared, outcome("ov", 4, update, true, ""))
	p := e.progress("ov", func(p synclog.Progress) bool { return p.Logged == 4 })
	require.EqualValues(t, 1, p.Failed)
	require.LessOrEqual(t, picky.fail.Load(), int32(-1), "batch A failed until it was redelivered enough")
	byID := map[string]int{}
	for _, b := range e.logBatches(cfgID, "ov") {
		for _, en := range b.GetEntries() {
			byID[en.GetEntryId()]++
		}
	}
	require.Equal(t, map[string]int{"ov/src-00001/x": 1, "ov/src-00002/x": 1, "ov/src-00003/x": 1, "ov/src-00004/x": 1}, byID)
}

// A rollout: the service stops with batches queued and a new one takes
// over; every entry is logged and counted exactly once.
func TestRolloutLosesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("roll")
	const batches, per = 40, 25
	for b := range batches {
		var outs []*eventsv1.WriteOutcome
		for i := b * per; i < (b+1)*per; i++ {
			outs = append(outs, outcome("roll", i, update, true, ""))
		}
		e.publishBatch(cfgID, "roll", fmt.Sprintf("roll-%d", b), outs...)
		if b == batches/4 {
			e.stop() // mid-stream: in-flight batches finish or are nak'ed
		}
	}
	e.endCycle("roll", batches*per)
	svc, err := synclog.New(e.cfg, e.deps)
	require.NoError(t, err)
	e.svc = svc
	e.start()
	p := e.progress("roll", func(p synclog.Progress) bool { return !p.Completed.IsZero() })
	require.EqualValues(t, batches*per, p.Logged)
	require.EqualValues(t, 100, p.PercentComplete())
	require.EqualValues(t, batches*per, e.logCount(cfgID, "roll"))
}

// The entry carries the trace id of the OutcomeBatch's trace context.
func TestEntryTraceID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx := trace.ContextWithSpanContext(ctxT(t), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	e.publishBatchCtx(ctx, cfgID, "tr", "tr0", outcome("tr", 1, create, true, ""))
	c := e.client(sourceTenant)
	e.progress("tr", func(p synclog.Progress) bool { return p.Logged == 1 })
	all := listAll(t, c, &synclogv1.LogFilter{ConfigurationId: cfgID}, 10)
	require.Len(t, all, 1)
	require.Equal(t, tid.String(), all[0].GetTraceId())
}

// Modified properties come from the outcome's applied changes, secrets
// redacted.
func TestModifiedProperties(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := outcome("mp", 1, update, true, "")
	o.Changes = []*eventsv1.AttributeChange{
		{Attribute: "displayName", GraphProperty: "displayName", OldValueJson: `"Ann"`, NewValueJson: `"Ann Lee"`},
		{Attribute: "password", NewValueJson: `"s3cret"`, Redacted: true},
	}
	e.publishBatch(cfgID, "mp", "mp0", o)
	e.progress("mp", func(p synclog.Progress) bool { return p.Logged == 1 })
	all := listAll(t, e.client(sourceTenant), &synclogv1.LogFilter{ConfigurationId: cfgID}, 10)
	require.Len(t, all, 1)
	mp := all[0].GetModifiedProperties()
	require.Len(t, mp, 2)
	require.Equal(t, []string{"displayName", `"Ann"`, `"Ann Lee"`}, []string{mp[0].GetName(), mp[0].GetOldValue(), mp[0].GetNewValue()})
	require.Equal(t, []string{"password", "", "[Redacted]"}, []string{mp[1].GetName(), mp[1].GetOldValue(), mp[1].GetNewValue()})
}
