package transformer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// Result is the outcome of one change batch.
type Result struct {
	// Intents go to the writers: every decision, Skip and Fail included,
	// minus the held deprovisions.
	Intents *eventsv1.IntentBatch
	// Pending are deprovisioning intents kept in Redis until the cycle end
	// decides them (DecideCycle): published if the cycle's count stays
	// within the threshold, held otherwise.
	Pending []*eventsv1.WriteIntent
	// Held are deprovisioning intents of a cycle already decided over the
	// threshold (a late or redelivered batch), kept until ReleaseHeld.
	Held []*eventsv1.WriteIntent
	// Deprovisions is the cycle's deprovision count after this batch (0
	// when the threshold is off).
	Deprovisions int64
	Threshold    int
}

// Transform decides every change of b and returns the intents to publish.
// It reads the connector data store and updates the assigned-group
// membership and deletion counts, all idempotently: the same batch again
// yields the same intent ids.
func (t *Transformer) Transform(ctx context.Context, b *eventsv1.SourceChangeBatch) (*eventsv1.IntentBatch, error) {
	r, err := t.Process(ctx, b)
	if err != nil {
		return nil, err
	}
	return r.Intents, nil
}

// Process is Transform with the held intents reported.
func (t *Transformer) Process(ctx context.Context, b *eventsv1.SourceChangeBatch) (_ *Result, err error) {
	start := time.Now()
	cfgID, cycle := b.GetConfigurationId(), b.GetCycleId()
	ctx, span := t.tracer.Start(ctx, "transformer.batch", trace.WithAttributes(
		attribute.String(keyConfiguration, cfgID), attribute.String(keyCycle, cycle),
		attribute.Int(keyShard, int(b.GetShard())), attribute.Int64(keyPage, b.GetPage()),
		attribute.Int(keyObjects, len(b.GetChanges()))))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	if err := checkIDs(cfgID, cycle); err != nil {
		return nil, natsx.Permanent(fmt.Errorf("batch %s/%d: %w", cycle, b.GetPage(), err))
	}
	for i, ch := range b.GetChanges() {
		if ch.GetObject().GetObjectId() == "" {
			return nil, natsx.Permanent(fmt.Errorf("batch %s/%d: change %d has no object id: %w", cycle, b.GetPage(), i, errInvalidID))
		}
	}
	comp, err := t.deps.Rules.Rules(ctx, cfgID)
	if err != nil {
		if errors.Is(err, ErrUnknownConfiguration) || errors.Is(err, ErrInvalidRules) {
			return nil, natsx.Permanent(err)
		}
		return nil, fmt.Errorf("rules of %s: %w", cfgID, err)
	}
	stored := b // the scope pass keeps the members by reference
	if b, err = t.expandMembers(ctx, b); err != nil {
		return nil, err
	}
	assigned := comp.Config.Mode == scope.AssignedOnly
	if assigned {
		if err := t.trackMembers(ctx, comp, b, b.GetChanges()); err != nil {
			return nil, err
		}
	}
	if b.GetScopeOnly() {
		// The groups' scope pass: their writes wait for the cycle's groups
		// provisioning round, after the users they list are written.
		if err := t.groups.store(ctx, cfgID, cycle, stored.GetChanges()); err != nil {
			return nil, err
		}
		t.log.DebugContext(ctx, "scope-only batch stored", keyConfiguration, cfgID, keyCycle, cycle,
			keyPage, b.GetPage(), keyShard, b.GetShard(), keyObjects, len(b.GetChanges()))
		return &Result{Intents: &eventsv1.IntentBatch{ConfigurationId: cfgID, CycleId: cycle,
			TargetTenantId: comp.TargetTenantID, Shard: b.GetShard()}, Threshold: comp.DeletionThreshold}, nil
	}
	bags := decodeBags(b.GetChanges(), t.needs.of(comp.Config))
	entries, targets, direct, err := t.load(ctx, b, bags, assigned)
	if err != nil {
		return nil, err
	}
	changes := make([]*eventsv1.SourceChange, len(b.GetChanges()))
	var retyped []*eventsv1.SourceChange
	for i, ch := range b.GetChanges() {
		if changes[i] = retype(ch, entries); changes[i] != ch {
			retyped = append(retyped, changes[i])
		}
	}
	if assigned && len(retyped) > 0 {
		if err := t.trackMembers(ctx, comp, b, retyped); err != nil {
			return nil, err
		}
	}
	resolve := func(id string) (string, bool) {
		if tid, ok := targets[id]; ok {
			return tid, true
		}
		if e, ok := entries[id]; ok && resolvable(e) { // an object of the batch
			return e.TargetID, true
		}
		return "", false
	}
	out := &eventsv1.IntentBatch{ConfigurationId: cfgID, CycleId: cycle, TargetTenantId: comp.TargetTenantID,
		Shard: b.GetShard(), Intents: make([]*eventsv1.WriteIntent, 0, len(b.GetChanges()))}
	counts := map[countKey]int64{}
	var deprov []*eventsv1.WriteIntent
	var pending, resolved []string
	var deferred []*eventsv1.SourceChange
	var provisioned []string
	waits := map[string][]string{}
	// On-demand cycles have no references round: their unresolved managers
	// wait for a later cycle (revisit set).
	refsRound := b.GetReferences()
	deferRefs := !refsRound && b.GetMode() != eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND
	for _, ch := range changes {
		id := ch.GetObject().GetObjectId()
		bag := bags[id]
		d := t.decide(comp.Config, ch, bag, entries, direct, resolve, b.GetMode() == eventsv1.CycleMode_CYCLE_MODE_FULL)
		manager := managerOf(bag.attrs)
		switch {
		case refsRound:
			// Still unresolved once every user of the cycle is written: the
			// user waits for its manager to be provisioned, out of the
			// revisit set. A user not provisioned is left to the escrow.
			if pendingManager(comp.Config, ch, manager, &d) {
				waits[manager] = append(waits[manager], id)
			} else if d.Action == decide.Update {
				resolved = append(resolved, id)
			}
			d = referencesPart(d)
		case pendingRef(comp.Config, ch, manager, &d):
			pending = append(pending, id)
			if deferRefs && pendingManager(comp.Config, ch, manager, &d) {
				d.Log.Deferred = true
				deferred = append(deferred, ch)
			}
		default:
			resolved = append(resolved, id)
		}
		if (d.Action == decide.Create || d.Action == decide.Restore) && ch.GetObject().GetType() != groupType {
			provisioned = append(provisioned, id)
		}
		wi, err := toIntent(b, ch, &d)
		if err != nil {
			return nil, natsx.Permanent(err)
		}
		if d.Members == nil && writesGroup(comp.Config, ch, wi) {
			fillMembers(wi, ch.GetMemberIds(), resolve)
		}
		counts[countKey{wi.GetAction().String(), wi.GetCode()}]++
		out.Intents = append(out.Intents, wi)
		if wi.GetDeprovisions() {
			deprov = append(deprov, wi)
		}
	}
	if err := t.externalizeMembers(ctx, cfgID, out.Intents); err != nil {
		return nil, err
	}
	if err := t.revisit.update(ctx, cfgID, pending, resolved); err != nil {
		return nil, err
	}
	if err := t.revisit.wait(ctx, cfgID, waits); err != nil {
		return nil, err
	}
	if err := t.revisit.provisioned(ctx, cfgID, provisioned); err != nil {
		return nil, err
	}
	// Before the intents are published: the references round lists them
	// once the users are written.
	if err := t.refs.store(ctx, cfgID, cycle, deferred); err != nil {
		return nil, err
	}
	res := &Result{Intents: out, Threshold: comp.DeletionThreshold}
	// On-demand cycles provision a handful of objects an admin chose: no
	// threshold, as in Entra. Without a threshold the deprovisions still
	// wait for the cycle end (DecideCycle releases them): a user deleted
	// before the groups provisioning round removed it from a group keeps
	// that membership, and a later restore brings it back.
	if len(deprov) > 0 && b.GetMode() != eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
		if err := t.hold(ctx, res, deprov); err != nil {
			return nil, err
		}
	}
	t.m.record(ctx, cfgID, counts)
	t.m.duration.Record(ctx, time.Since(start).Seconds())
	byAction := map[string]int64{}
	for k, n := range counts {
		byAction[k.action] += n
	}
	for a, n := range byAction {
		span.SetAttributes(attribute.Int64("xtsync.intents."+strings.ToLower(strings.TrimPrefix(a, "WRITE_ACTION_")), n))
	}
	span.SetAttributes(attribute.Int("xtsync.intents.held", len(res.Held)), attribute.Int("xtsync.intents.pending", len(res.Pending)))
	t.log.DebugContext(ctx, "batch transformed", keyConfiguration, cfgID, keyCycle, cycle, keyPage, b.GetPage(),
		keyShard, b.GetShard(), keyObjects, len(b.GetChanges()), "pending", len(res.Pending), "held", len(res.Held))
	return res, nil
}

// load reads the connector entries of the batch's objects, the target ids
// of everything they reference (managers, members) and the assigned groups
// of its users.
func (t *Transformer) load(ctx context.Context, b *eventsv1.SourceChangeBatch, bags bags, assigned bool) (map[string]redisx.Entry, map[string]string, map[string][]string, error) {
	cfg := b.GetConfigurationId()
	objects := make([]string, 0, len(b.GetChanges()))
	inBatch := make(map[string]struct{}, len(b.GetChanges()))
	var users []string
	for _, ch := range b.GetChanges() {
		id := ch.GetObject().GetObjectId()
		if _, ok := inBatch[id]; !ok {
			inBatch[id] = struct{}{}
			objects = append(objects, id)
		}
		if ch.GetObject().GetType() != groupType {
			users = append(users, id)
		}
	}
	var refs []string
	seen := map[string]struct{}{}
	add := func(id string) {
		if _, ok := inBatch[id]; ok || id == "" {
			return
		}
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			refs = append(refs, id)
		}
	}
	for _, ch := range b.GetChanges() {
		if ch.GetObject().GetType() == groupType {
			for _, m := range ch.GetMemberIds() {
				add(m)
			}
		} else if m := managerOf(bags[ch.GetObject().GetObjectId()].attrs); m != "" {
			add(m)
		}
	}
	seen = nil
	entries, err := t.getEntries(ctx, cfg, objects)
	if err != nil {
		return nil, nil, nil, err
	}
	targets, err := t.resolveRefs(ctx, cfg, refs)
	if err != nil {
		return nil, nil, nil, err
	}
	var direct map[string][]string
	if assigned {
		if direct, err = t.members.DirectGroups(ctx, cfg, users); err != nil {
			return nil, nil, nil, err
		}
	}
	return entries, targets, direct, nil
}

// refChunk is how many referenced objects' connector entries are decoded
// at once: only their target ids are kept, so a batch of groups with a
// million members in all holds a million target ids, not a million
// decoded entries (which made the all-in-one's peak RSS grow faster than
// the tenant: every guest is in every all-guests group).
const refChunk = 2000

// resolveRefs maps each referenced id to its target id, for those whose
// entry resolves (resolvable).
func (t *Transformer) resolveRefs(ctx context.Context, cfg string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for chunk := range slices.Chunk(ids, refChunk) {
		entries, err := t.getEntries(ctx, cfg, chunk)
		if err != nil {
			return nil, err
		}
		for id, e := range entries {
			if resolvable(e) {
				out[id] = e.TargetID
			}
		}
	}
	return out, nil
}

func (t *Transformer) getEntries(ctx context.Context, cfg string, ids []string) (map[string]redisx.Entry, error) {
	entries, err := t.deps.Connectors.GetMany(ctx, cfg, ids)
	if err != nil {
		if errors.Is(err, redisx.ErrInvalid) {
			return nil, natsx.Permanent(err)
		}
		return nil, fmt.Errorf("load %d connector entries: %w", len(ids), err)
	}
	return entries, nil
}

// resolvable reports an entry whose target object a reference can point
// to.
func resolvable(e redisx.Entry) bool {
	return e.TargetID != "" && (e.State == redisx.Active || e.State == redisx.Disabled)
}

// hold runs the deletion guard over the batch's deprovisioning intents and
// moves the pending and held ones out of the batch.
func (t *Transformer) hold(ctx context.Context, res *Result, deprov []*eventsv1.WriteIntent) error {
	out := res.Intents
	flags, count, err := t.guard.Admit(ctx, out.GetConfigurationId(), out.GetCycleId(), deprov)
	if err != nil {
		return err
	}
	res.Deprovisions = count
	drop := map[*eventsv1.WriteIntent]bool{}
	for i, f := range flags {
		switch f {
		case admitPending:
			res.Pending = append(res.Pending, deprov[i])
		case admitHeld:
			res.Held = append(res.Held, deprov[i])
		default:
			continue
		}
		drop[deprov[i]] = true
	}
	if len(drop) == 0 {
		return nil
	}
	kept := out.Intents[:0]
	for _, wi := range out.Intents {
		if !drop[wi] {
			kept = append(kept, wi)
		}
	}
	out.Intents = kept
	if len(res.Held) > 0 {
		t.m.held.Add(ctx, int64(len(res.Held)))
		t.log.WarnContext(ctx, "deletion threshold exceeded: deprovisions held", keyConfiguration, out.GetConfigurationId(),
			keyCycle, out.GetCycleId(), "held", len(res.Held), "count", count, "threshold", res.Threshold)
	}
	return nil
}
