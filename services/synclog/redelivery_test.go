package synclog_test

import (
	"context"
	"errors"
	"fmt"
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
	require.EqualValues(t, 3, e.logCount(cfgID, "r"))
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 1)
	require.EqualValues(t, 1, escrows[0].Count)
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
