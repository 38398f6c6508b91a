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
	return s.logBatch(ctx, &b)
}

// logBatch logs a batch whose ids are checked.
func (s *Service) logBatch(ctx context.Context, b *eventsv1.OutcomeBatch) (err error) {
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
	entries := make([]*eventsv1.ProvisioningLogEntry, len(b.GetOutcomes()))
	ids := make([]string, len(entries))
	for i, o := range b.GetOutcomes() {
		// The batch names the cycle; outcomes inherit it so one batch is one subject.
		o.ConfigurationId, o.CycleId = cfg, cycle
		entries[i] = toEntry(o, traceID, now)
		ids[i] = entries[i].GetEntryId()
	}
	span.SetAttributes(statusCounts(entries)...)
	fresh, err := s.c.unseen(ctx, cfg, cycle, ids)
	if err != nil {
		return err
	}
	span.SetAttributes(attribute.Int(keyNew, len(fresh)))
	if len(fresh) > 0 {
		if err := s.publish(ctx, cfg, cycle, entries, fresh); err != nil {
			return err
		}
		if err := s.escrow(ctx, cfg, b.GetOutcomes(), fresh); err != nil {
			return err
		}
		if err := s.countEntries(ctx, cfg, cycle, b.GetOutcomes(), entries, fresh); err != nil {
			return err
		}
	}
	// Also on a batch already counted: a crash after counting and before
	// deciding is finished here.
	return s.decide(ctx, cfg, cycle)
}

// publish stores the entries at fresh on xtsync.logs.<cfg>.<cycle> and
// waits for JetStream's acks.
func (s *Service) publish(ctx context.Context, cfg, cycle string, entries []*eventsv1.ProvisioningLogEntry, fresh []int) error {
	subject, err := natsx.LogSubject(cfg, cycle)
	if err != nil {
		return natsx.Permanent(err)
	}
	// One publisher per batch: WaitAll then vouches for this batch only.
	p, err := natsx.NewPublisher(s.d.JetStream, natsx.PublisherOptions{MeterProvider: s.d.MeterProvider})
	if err != nil {
		return fmt.Errorf("synclog: publisher: %w", err)
	}
	for _, i := range fresh {
		// JetStream deduplicates per stream, not per subject: the
		// configuration keeps two configurations' entry ids apart.
		if err := p.Publish(ctx, subject, entries[i], cfg+"/"+entries[i].GetEntryId()); err != nil {
			return fmt.Errorf("synclog: publish entry %s: %w", entries[i].GetEntryId(), err)
		}
	}
	if err := p.WaitAll(ctx); err != nil {
		return fmt.Errorf("synclog: publish %d entries of cycle %s: %w", len(fresh), cycle, err)
	}
	return nil
}

// escrow records failures and clears successes. Held deprovisions are
// neither: they wait for the admin, retrying them would only hold them again.
// EscrowStore has no batch call, so the calls of a batch (one per object:
// a full import clears 300,000) run escrowParallel at a time.
func (s *Service) escrow(ctx context.Context, cfg string, outcomes []*eventsv1.WriteOutcome, fresh []int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(escrowParallel)
	var retry []any
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
			g.Go(func() error {
				if err := s.d.Escrows.Clear(gctx, cfg, id); err != nil {
					return fmt.Errorf("synclog: clear escrow %s: %w", id, err)
				}
				return nil
			})
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
	return g.Wait()
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
