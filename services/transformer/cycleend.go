package transformer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// CycleDecision is what DecideCycle did with a cycle's deprovisions.
type CycleDecision struct {
	// Decision is "release", "hold", or "" (on-demand cycle, nothing to
	// decide).
	Decision string
	// Count is the deprovision count the decision was made on (the cycle
	// and the undecided cycles stopped before it); Threshold the rule's.
	Count     int64
	Threshold int
	// Released intents went to the writers; Held await the admin.
	Released, Held int
	// Cycles are the cycles decided together, the ending one first.
	Cycles []string
}

// DecideCycle makes the accidental-deletion decision of a cycle once every
// change of it was transformed (the reader publishes CycleEnd only after
// XTSYNC_CHANGES holds nothing of the configuration). The cycle's pending
// deprovisions, with those of cycles stopped before their end, are
// published if their count is within the threshold; otherwise they are
// held, nothing is deleted, and the held signal (failed outcomes with code
// DeletionThresholdExceeded) goes to the log service; the scheduler pauses
// the job until a restart with force-deletes (ReleaseHeld).
//
// Idempotent: the decision is recorded per cycle, and publishing again
// reuses the same message ids ("<cycle>/release/<shard>/<n>",
// "<cycle>/held/<n>"), which JetStream deduplicates.
func (t *Transformer) DecideCycle(ctx context.Context, end *eventsv1.CycleEnd) (*CycleDecision, error) {
	cfg, cycle := end.GetConfigurationId(), end.GetCycleId()
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, natsx.Permanent(fmt.Errorf("cycle end: %w", err))
	}
	if end.GetMode() == eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
		return &CycleDecision{}, nil
	}
	if t.deps.JetStream == nil {
		return nil, errors.New("transformer: cycle decision needs JetStream")
	}
	comp, err := t.deps.Rules.Rules(ctx, cfg)
	if err != nil {
		if errors.Is(err, ErrUnknownConfiguration) || errors.Is(err, ErrInvalidRules) {
			return nil, natsx.Permanent(err)
		}
		return nil, fmt.Errorf("rules of %s: %w", cfg, err)
	}
	res := &CycleDecision{Threshold: comp.DeletionThreshold, Cycles: []string{cycle}}
	if res.Count, err = t.guard.Count(ctx, cfg, cycle); err != nil {
		return nil, err
	}
	switch d, err := t.guard.Decision(ctx, cfg, cycle); {
	case err != nil:
		return nil, err
	case d == decisionRelease:
		res.Decision = d
		return res, nil // published and cleaned up before the mark
	case d == decisionHold:
		res.Decision = d
		return res, t.signalHeld(ctx, cfg, cycle, res)
	}
	ended := t.deps.Now()
	if end.GetFinishedAt() != nil {
		ended = end.GetFinishedAt().AsTime()
	}
	older, err := t.guard.undecided(ctx, cfg, cycle, ended)
	if err != nil {
		return nil, err
	}
	res.Cycles = append(res.Cycles, older...)
	var pending []*eventsv1.WriteIntent
	var dups []string // intent ids of older cycles' duplicates
	bySource := map[string]bool{}
	for _, c := range res.Cycles { // newest (the ending cycle) first
		p, err := t.guard.Pending(ctx, cfg, c)
		if err != nil {
			return nil, err
		}
		for _, wi := range p {
			// An object deprovisioned by a stopped cycle and again by this
			// one goes out once, as this cycle decided it.
			if src := wi.GetSource().GetObjectId(); c == cycle || !bySource[src] {
				bySource[src] = true
				pending = append(pending, wi)
			} else {
				dups = append(dups, wi.GetIntentId())
			}
		}
	}
	if len(older) > 0 {
		if res.Count, err = t.guard.CountUnion(ctx, cfg, res.Cycles); err != nil {
			return nil, err
		}
	}
	forced, err := t.guard.Forced(ctx, cfg, cycle)
	if err != nil {
		return nil, err
	}
	if forced || comp.DeletionThreshold <= 0 || res.Count <= int64(comp.DeletionThreshold) {
		res.Decision = decisionRelease
		if len(pending) > 0 {
			if err := t.publishDeprovisions(ctx, comp.TargetTenantID, cfg, cycle, cycle+"/release/", pending); err != nil {
				return nil, fmt.Errorf("release deprovisions of cycle %s: %w", cycle, err)
			}
		}
		if err := t.guard.markReleased(ctx, cfg, res.Cycles); err != nil {
			return nil, err
		}
		res.Released = len(pending)
		level := slog.LevelDebug
		if res.Released > 0 {
			level = slog.LevelInfo
		}
		t.log.Log(ctx, level, "cycle within the deletion threshold: deprovisions released", keyConfiguration, cfg, keyCycle, cycle,
			"count", res.Count, "threshold", comp.DeletionThreshold, "released", res.Released, "cycles", len(res.Cycles))
		return res, nil
	}
	res.Decision = decisionHold
	if err := t.guard.markHeld(ctx, cfg, res.Cycles, dups); err != nil {
		return nil, err
	}
	t.m.held.Add(ctx, int64(len(pending)))
	t.log.WarnContext(ctx, "deletion threshold exceeded: the cycle deletes nothing until a restart with force-deletes",
		keyConfiguration, cfg, keyCycle, cycle, "count", res.Count, "threshold", comp.DeletionThreshold, "cycles", len(res.Cycles))
	return res, t.signalHeld(ctx, cfg, cycle, res)
}

// signalHeld publishes the held signal of a cycle decided over the
// threshold: its held intents as failed outcomes, ReleaseBatch per
// message, ids "<cycle>/held/<n>" over the intents sorted by id.
func (t *Transformer) signalHeld(ctx context.Context, cfg, cycle string, res *CycleDecision) error {
	held, err := t.guard.Held(ctx, cfg, cycle)
	if err != nil {
		return err
	}
	res.Held = len(held)
	if len(held) == 0 {
		return nil // released by the admin meanwhile
	}
	slices.SortFunc(held, func(a, b *eventsv1.WriteIntent) int { return strings.Compare(a.GetIntentId(), b.GetIntentId()) })
	subj, err := natsx.OutcomeSubject(cfg)
	if err != nil {
		return natsx.Permanent(err)
	}
	p, err := natsx.NewPublisher(t.deps.JetStream, natsx.PublisherOptions{MeterProvider: t.deps.MeterProvider})
	if err != nil {
		return fmt.Errorf("held signal of %s: %w", cycle, err)
	}
	msg := heldMessage(res.Count, cycle, res.Threshold)
	ob := t.heldOutcomes(cfg, cycle, held, msg)
	for n, part := range t.splitOutcomes(ob) {
		if err := p.Publish(ctx, subj, part, cycle+"/held/"+strconv.Itoa(n)); err != nil {
			return fmt.Errorf("held signal of %s: %w", cycle, err)
		}
	}
	if err := p.WaitAll(ctx); err != nil {
		return fmt.Errorf("held signal of %s: %w", cycle, err)
	}
	return nil
}

// splitOutcomes cuts ob into batches of at most ReleaseBatch outcomes and
// MaxMessageBytes, in order.
func (t *Transformer) splitOutcomes(ob *eventsv1.OutcomeBatch) []*eventsv1.OutcomeBatch {
	mk := func() *eventsv1.OutcomeBatch {
		return &eventsv1.OutcomeBatch{ConfigurationId: ob.GetConfigurationId(), CycleId: ob.GetCycleId()}
	}
	cur := mk()
	parts := []*eventsv1.OutcomeBatch{cur}
	size := proto.Size(cur)
	for _, o := range ob.GetOutcomes() {
		n := proto.Size(o) + 8 // field tag and length prefix
		if len(cur.Outcomes) > 0 && (size+n > t.cfg.MaxMessageBytes || len(cur.Outcomes) >= t.cfg.ReleaseBatch) {
			cur = mk()
			parts = append(parts, cur)
			size = proto.Size(cur)
		}
		cur.Outcomes = append(cur.Outcomes, o)
		size += n
	}
	return parts
}

// cycleEndHandler runs DecideCycle for each CycleEnd of the
// transformer-cycles consumer, then drops the cycle's unresolved references
// (CycleRefs): the references round ran before the reader published
// CycleEnd.
func (t *Transformer) cycleEndHandler() natsx.Handler {
	return func(ctx context.Context, m *natsx.Msg) error {
		var end eventsv1.CycleEnd
		if err := m.Unmarshal(&end); err != nil {
			return err
		}
		if _, err := t.DecideCycle(ctx, &end); err != nil {
			return err
		}
		if end.GetMode() == eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
			return nil
		}
		return t.refs.drop(ctx, end.GetConfigurationId(), end.GetCycleId())
	}
}
