package writer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Span and log keys.
const (
	keyConfig = "xtsync.configuration_id"
	keyCycle  = "xtsync.cycle_id"
	keyTenant = "xtsync.target_tenant_id"
)

// Apply writes batch to its target tenant and returns one outcome per
// intent, in intent order. Connector entries of successful intents are
// stored before it returns; failed ones are recorded in escrow. Every
// Graph failure (refused credentials included) ends as an outcome; an
// error means the batch must be retried as a whole (context, Redis, target
// resolution); repeating Apply is safe.
// Run additionally publishes the outcomes and acks the input.
func (w *Writer) Apply(ctx context.Context, batch *eventsv1.IntentBatch) (*eventsv1.OutcomeBatch, error) {
	// Outside Run there is no stream sequence: order entries by time.
	return w.apply(ctx, batch, uint64(time.Now().UnixNano()))
}

// apply is Apply with the version the connector entries are stored under:
// the IntentBatch's stream sequence under Run (later cycles are published
// later), so an older redelivered batch never overwrites a newer entry.
func (w *Writer) apply(ctx context.Context, batch *eventsv1.IntentBatch, version uint64) (*eventsv1.OutcomeBatch, error) {
	cfgID, cycle, tenant := batch.GetConfigurationId(), batch.GetCycleId(), batch.GetTargetTenantId()
	ctx, span := w.tracer.Start(ctx, "writer apply intent batch")
	defer span.End()
	span.SetAttributes(attribute.String(keyConfig, cfgID), attribute.String(keyCycle, cycle),
		attribute.String(keyTenant, tenant), attribute.Int("xtsync.shard", int(batch.GetShard())),
		attribute.Int("xtsync.intents", len(batch.GetIntents())))

	out, err := w.applyBatch(ctx, batch, version)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "apply failed")
		w.log.WarnContext(ctx, "writer: intent batch failed, will retry", "configuration_id", cfgID,
			"cycle_id", cycle, "target_tenant_id", tenant, "intents", len(batch.GetIntents()), "err", err)
		return nil, err
	}
	return out, nil
}

func (w *Writer) applyBatch(ctx context.Context, batch *eventsv1.IntentBatch, version uint64) (*eventsv1.OutcomeBatch, error) {
	cfgID, tenant := batch.GetConfigurationId(), batch.GetTargetTenantId()
	tasks := make([]*task, len(batch.GetIntents()))
	var writes []*task
	for i, in := range batch.GetIntents() {
		t := newTask(in)
		tasks[i] = t
		switch in.GetAction() {
		case eventsv1.WriteAction_WRITE_ACTION_SKIP, eventsv1.WriteAction_WRITE_ACTION_FAIL:
			t.done = true
			continue
		}
		if !t.user && in.GetAction() != eventsv1.WriteAction_WRITE_ACTION_CREATE &&
			in.GetConnectorEntry() != nil && !in.GetConnectorEntry().GetCreatedBySync() {
			// Groups sync did not create are never touched.
			t.done, t.skipCode = true, rules.NotCreatedBySync
			continue
		}
		writes = append(writes, t)
	}
	a := &applier{w: w, tenant: tenant, cfgID: cfgID, cycle: batch.GetCycleId()}
	var tgt graph.Target
	if len(writes) > 0 {
		var err error
		tgt, err = w.d.Targets.Target(ctx, cfgID)
		switch {
		case errors.Is(err, graph.ErrAuth):
			// No credentials to write with (a secret that cannot be read):
			// like a refused token, an outcome the log service quarantines.
			for _, t := range writes {
				t.failWith(CodeAuthorizationDenied, fmt.Sprintf("target of configuration %s: %v", cfgID, err))
				t.done = true
			}
			writes = nil
		case err != nil:
			return nil, fmt.Errorf("resolve target of configuration %s: %w", cfgID, err)
		}
	}
	if len(writes) > 0 {
		a.tgt = tgt
		a.refs, _ = tgt.(refBuilder)
		if tenant == "" {
			a.tenant = tgt.TenantID()
		}
		if err := a.loadMembers(ctx, writes); err != nil {
			return nil, err
		}
		if err := a.prepareCreates(ctx, writes); err != nil {
			return nil, err
		}
		for _, t := range writes {
			if t.fail == nil && len(t.steps) == 0 {
				a.plan(t) // creates with lookups plan after them
			}
			t.advance()
		}
		if err := a.run(ctx, writes); err != nil {
			return nil, err
		}
	}
	out := &eventsv1.OutcomeBatch{ConfigurationId: cfgID, CycleId: batch.GetCycleId()}
	if err := w.finish(ctx, batch, tasks, version, out); err != nil {
		return nil, err
	}
	failed := 0
	for _, o := range out.Outcomes {
		if !o.GetSuccess() {
			failed++
		}
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.Int("xtsync.writes", len(writes)),
		attribute.Int("xtsync.failed", failed), attribute.Int("xtsync.throttled", a.throttled),
		attribute.Float64("xtsync.limiter_wait_seconds", a.waited.Seconds()))
	w.log.DebugContext(ctx, "writer: intent batch applied", "configuration_id", cfgID, "cycle_id", batch.GetCycleId(),
		"target_tenant_id", a.tenant, "intents", len(tasks), "writes", len(writes), "throttled", a.throttled,
		"limiter_wait", a.waited)
	return out, nil
}

// finish stores the connector entries of successful writes, escrows the
// failures and builds the outcomes.
func (w *Writer) finish(ctx context.Context, batch *eventsv1.IntentBatch, tasks []*task, version uint64, out *eventsv1.OutcomeBatch) error {
	cfgID := batch.GetConfigurationId()
	var entries []redisx.Entry
	var gone []string
	now := timestamppb.Now()
	for _, t := range tasks {
		in := t.in
		o := &eventsv1.WriteOutcome{
			IntentId: in.GetIntentId(), ConfigurationId: cfgID, CycleId: in.GetCycleId(), Source: in.GetSource(),
			TargetObjectId: t.targetID, Action: in.GetAction(), Success: true, Attempts: t.attempts, FinishedAt: now,
			LogJson: in.GetLogJson(), // synclog appends the export step and logs the steps
		}
		switch {
		case in.GetAction() == eventsv1.WriteAction_WRITE_ACTION_FAIL:
			o.Success = false
			o.Error = &commonv1.ErrorDetail{Code: in.GetCode(), Message: "decided before writing"}
		case in.GetAction() == eventsv1.WriteAction_WRITE_ACTION_SKIP:
			o.Error = codeDetail(in.GetCode(), "")
		case t.fail != nil:
			o.Success = false
			o.Error = &commonv1.ErrorDetail{Code: string(t.fail.code), Message: t.fail.msg}
			if t.gone {
				gone = append(gone, in.GetSource().GetObjectId())
			}
		case t.skipCode != "":
			o.Error = codeDetail(string(t.skipCode), "group not created by sync is left alone")
		default:
			if e := in.GetConnectorEntry(); e != nil {
				entries = append(entries, w.entryOf(t, e, batch.GetCycleId(), version))
			}
		}
		w.m.writes.Add(ctx, 1, w.m.outcomeAttrs(in.GetAction(), o))
		out.Outcomes = append(out.Outcomes, o)
	}
	if len(entries) > 0 {
		errs, err := w.d.Connectors.PutMany(ctx, cfgID, entries)
		if err != nil {
			return fmt.Errorf("store %d connector entries: %w", len(entries), err)
		}
		for i, e := range errs {
			if e != nil && !errors.Is(e, redisx.ErrConflict) {
				return fmt.Errorf("store connector entry %s: %w", entries[i].SourceID, e)
			}
		}
	}
	for _, id := range gone {
		if err := w.d.Connectors.Delete(ctx, cfgID, id); err != nil {
			return fmt.Errorf("drop connector entry of %s (target object gone): %w", id, err)
		}
	}
	if w.d.Escrows == nil {
		return nil
	}
	for _, o := range out.Outcomes {
		if o.Success {
			continue
		}
		if _, err := w.d.Escrows.RecordFailure(ctx, cfgID, o.GetSource().GetObjectId(), o.GetError().GetCode(), o.GetError().GetMessage()); err != nil {
			// The log service records escrows from the outcome too.
			w.log.WarnContext(ctx, "writer: record escrow", "configuration_id", cfgID, "object_id", o.GetSource().GetObjectId(), slog.Any("err", err))
		}
	}
	return nil
}

func codeDetail(code, msg string) *commonv1.ErrorDetail {
	if code == "" {
		return nil
	}
	return &commonv1.ErrorDetail{Code: code, Message: msg}
}

// entryOf converts the intent's connector entry, filling in what the write
// learnt (target id, matched attribute).
func (w *Writer) entryOf(t *task, e *eventsv1.ConnectorEntry, cycle string, version uint64) redisx.Entry {
	typ := redisx.Users
	if !t.user {
		typ = redisx.Groups
	}
	target := t.targetID
	if target == "" {
		target = e.GetTargetId()
	}
	state := redisx.EntryState(e.GetState())
	if state == "" {
		state = redisx.Active
	}
	out := redisx.Entry{
		SourceID: e.GetSourceId(), TargetID: target, Type: typ, State: state,
		Since: e.GetSince().AsTime(), CreatedBySync: e.GetCreatedBySync(), MatchedBy: e.GetMatchedBy(),
		LastCycle: cycle, Exported: e.GetExported(), Version: version,
	}
	if out.SourceID == "" {
		out.SourceID = t.in.GetSource().GetObjectId()
	}
	if e.GetSince() == nil {
		out.Since = time.Now().UTC()
	}
	if t.createdBySync != nil {
		out.CreatedBySync = *t.createdBySync
	}
	if t.matchedBy != "" {
		out.MatchedBy = t.matchedBy
	}
	for _, h := range out.Exported {
		out.ExportHash ^= h
	}
	return out
}
