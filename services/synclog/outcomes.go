package synclog

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// reservedCycleIDs would collide with other keys under xtsync:{cfg}:cycle:.
var reservedCycleIDs = map[string]bool{"lock": true, "fence": true}

func checkIDs(cfg, cycle string) error {
	if err := errors.Join(natsx.ValidToken(cfg), natsx.ValidToken(cycle)); err != nil {
		return err
	}
	if reservedCycleIDs[cycle] {
		return fmt.Errorf("cycle id %q is reserved", cycle)
	}
	return nil
}

// handleOutcomes logs one OutcomeBatch (writers, and the transformer's held
// deprovisions): publish the new entries, escrow them, count them, then
// decide quarantine. See the package doc for why this order is idempotent.
func (s *Service) handleOutcomes(ctx context.Context, m *natsx.Msg) error {
	var b eventsv1.OutcomeBatch
	if err := m.Unmarshal(&b); err != nil {
		return err
	}
	if err := checkIDs(b.GetConfigurationId(), b.GetCycleId()); err != nil {
		return natsx.Permanent(fmt.Errorf("synclog: outcome batch %s: %w", m.MsgID(), err))
	}
	return s.logBatch(ctx, &b, outcomeBatchID(m.MsgID(), m.StreamSeq()))
}

// outcomeBatchID names an OutcomeBatch the same way on every delivery: its
// Nats-Msg-Id (writers: the intent batch's), else its stream sequence.
func outcomeBatchID(msgID string, seq uint64) string {
	if msgID != "" {
		return msgID
	}
	return fmt.Sprintf("outcomes/%d", seq)
}

// logBatch logs a batch whose ids are checked; id names it (outcomeBatchID).
func (s *Service) logBatch(ctx context.Context, b *eventsv1.OutcomeBatch, id string) (err error) {
	cfg, cycle := b.GetConfigurationId(), b.GetCycleId()
	// One cycle's batches run one at a time in this process, so two
	// deliveries of the same outcome (a duplicate batch, a batch and its
	// redelivery) cannot both find it unseen and escrow it twice.
	unlock := s.locks.lock(cfg + "/" + cycle)
	defer unlock()
	// Span attributes use the xtsync.* names every stage's spans share
	// (docs/observability.md); logs keep the short keys.
	ctx, span := s.tracer.Start(ctx, "synclog.outcome_batch", trace.WithAttributes(
		attribute.String("xtsync.configuration_id", cfg), attribute.String("xtsync.cycle_id", cycle),
		attribute.Int(keyOutcomes, len(b.GetOutcomes()))))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "outcome batch not logged")
		}
		span.End()
	}()

	traceID := ""
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		traceID = sc.TraceID().String()
	}
	now := s.d.Now()
	for _, o := range b.GetOutcomes() {
		// The batch names the cycle; outcomes inherit it so one batch is one subject.
		o.ConfigurationId, o.CycleId = cfg, cycle
	}
	// An object's first write and its references round are one entry
	// (parts.go): a part waits for the other.
	outcomes, steps, err := s.joinParts(ctx, cfg, cycle, b.GetOutcomes())
	if err != nil {
		return err
	}
	entries := make([]*eventsv1.ProvisioningLogEntry, len(outcomes))
	ids := make([]string, len(entries))
	for i, o := range outcomes {
		entries[i] = toEntry(o, traceID, now)
		if st := steps[o]; st != "" {
			entries[i].StepsJson = st
		}
		ids[i] = entries[i].GetEntryId()
	}
	span.SetAttributes(statusCounts(entries)...)
	owned, err := s.c.own(ctx, cfg, cycle, id, ids, now)
	if err != nil {
		return err
	}
	fresh := firstOfEach(ids, owned)
	span.SetAttributes(attribute.Int(keyNew, len(fresh)))
	if len(fresh) > 0 {
		if err := s.publish(ctx, cfg, cycle, id, entries, fresh); err != nil {
			return err
		}
		if err := s.escrow(ctx, cfg, outcomes, fresh); err != nil {
			return err
		}
		if err := s.countEntries(ctx, cfg, cycle, outcomes, entries, fresh); err != nil {
			return err
		}
		if err := s.dropParts(ctx, cfg, cycle, outcomes, steps, fresh); err != nil {
			return err
		}
	}
	// Also on a batch already counted: a crash after counting and before
	// deciding is finished here.
	return s.decide(ctx, cfg, cycle)
}

// firstOfEach keeps the first position of each id: an outcome repeated in
// one batch is logged once.
func firstOfEach(ids []string, pos []int) []int {
	seen := make(map[string]bool, len(pos))
	out := pos[:0]
	for _, i := range pos {
		if !seen[ids[i]] {
			seen[ids[i]] = true
			out = append(out, i)
		}
	}
	return out
}

// escrow records failures and clears successes. Held deprovisions are
// neither: they wait for the admin, retrying them would only hold them again.
// The clears of a batch (one per object: a full import clears 300,000) are
// one HDEL when the store can (escrowBatch); failures are few and go one
// by one, escrowParallel at a time.
func (s *Service) escrow(ctx context.Context, cfg string, outcomes []*eventsv1.WriteOutcome, fresh []int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(escrowParallel)
	var retry []any
	var cleared []string
	for _, i := range fresh {
		o := outcomes[i]
		id := o.GetSource().GetObjectId()
		switch {
		case id == "" || held(o):
		case !o.GetSuccess():
			retry = append(retry, id)
			g.Go(func() error {
				if _, err := s.d.Escrows.RecordFailure(gctx, cfg, id, o.GetError().GetCode(), o.GetError().GetMessage()); err != nil {
					return fmt.Errorf("synclog: escrow %s: %w", id, err)
				}
				return nil
			})
		default:
			cleared = append(cleared, id)
		}
	}
	if len(retry) > 0 {
		// Escrowed objects are retried next cycle: a delta would not bring
		// them back, the revisit set does (the reader reads it at the start
		// of a delta cycle, the transformer removes what it decides).
		g.Go(func() error {
			if err := s.d.Redis.SAdd(gctx, RevisitKey(cfg), retry...).Err(); err != nil {
				return fmt.Errorf("synclog: queue %d escrowed objects for the next cycle: %w", len(retry), err)
			}
			return nil
		})
	}
	if bc, ok := s.d.Escrows.(escrowBatch); ok && len(cleared) > 0 {
		ids := cleared
		g.Go(func() error {
			if err := bc.ClearMany(gctx, cfg, ids...); err != nil {
				return fmt.Errorf("synclog: clear %d escrows: %w", len(ids), err)
			}
			return nil
		})
		cleared = nil
	}
	for _, id := range cleared {
		g.Go(func() error {
			if err := s.d.Escrows.Clear(gctx, cfg, id); err != nil {
				return fmt.Errorf("synclog: clear escrow %s: %w", id, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// escrowBatch is an EscrowStore that clears many objects in one call
// (redisx.Escrows); other stores are cleared one object at a time.
type escrowBatch interface {
	ClearMany(ctx context.Context, cfg string, objectIDs ...string) error
}

// escrowParallel bounds the concurrent escrow calls of one batch.
const escrowParallel = 16

// RevisitKey is the revisit set of a configuration (docs/pipeline.md;
// owned by services/transformer, whose revisitKey it must equal).
func RevisitKey(cfg string) string { return "xtsync:{" + cfg + "}:revisit" }

// countEntries adds the fresh entries to the cycle counters and metrics.
func (s *Service) countEntries(ctx context.Context, cfg, cycle string, outcomes []*eventsv1.WriteOutcome,
	entries []*eventsv1.ProvisioningLogEntry, fresh []int) error {
	cs := make([]counted, 0, len(fresh))
	for _, i := range fresh {
		o, e := outcomes[i], entries[i]
		c := counted{id: e.GetEntryId(), action: actionName(e.GetAction()), status: statusName(e.GetStatus())}
		switch {
		case held(o):
			c.flags |= flagHeld
		case !o.GetSuccess():
			c.flags |= flagFailed
			if isAuthFailure(o, s.cfg.Quarantine.AuthCodes) {
				c.flags |= flagAuth
			}
		case e.GetStatus() == eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SUCCESS:
			c.flags |= flagSucceeded
		}
		cs = append(cs, c)
	}
	n, err := s.c.count(ctx, cfg, cycle, cs, s.d.Now())
	if err != nil {
		return err
	}
	for _, c := range cs {
		s.m.objects.Add(ctx, 1, metric.WithAttributes(attribute.String(keyAction, c.action), attribute.String(keyStatus, c.status)))
	}
	s.log.DebugContext(ctx, "synclog: outcomes logged", keyConfigurationID, cfg, keyCycleID, cycle,
		keyOutcomes, len(outcomes), keyNew, n)
	return nil
}

// statusCounts are the span attributes status.<Success|Failure|...> = n.
func statusCounts(entries []*eventsv1.ProvisioningLogEntry) []attribute.KeyValue {
	n := map[string]int{}
	for _, e := range entries {
		n[statusName(e.GetStatus())]++
	}
	out := make([]attribute.KeyValue, 0, len(n))
	for k, v := range n {
		out = append(out, attribute.Int(keyStatus+"."+k, v))
	}
	return out
}
