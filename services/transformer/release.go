package transformer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// publishHeldSignal tells the log service (and, through it, the scheduler
// that pauses the job) that deprovisions of a late batch were held: an
// OutcomeBatch on xtsync.outcomes.<cfg> with one failed WriteOutcome per
// held intent, error code DeletionThresholdExceeded. Message id
// "<input id>/held".
func (t *Transformer) publishHeldSignal(ctx context.Context, p *natsx.Publisher, res *Result, msgID string) error {
	out := res.Intents
	subj, err := natsx.OutcomeSubject(out.GetConfigurationId())
	if err != nil {
		return natsx.Permanent(err)
	}
	ob := t.heldOutcomes(out.GetConfigurationId(), out.GetCycleId(), res.Held, heldMessage(res.Deprovisions, out.GetCycleId(), res.Threshold))
	if err := p.Publish(ctx, subj, ob, msgID+"/held"); err != nil {
		return fmt.Errorf("publish held signal of %s: %w", msgID, err)
	}
	return nil
}

func heldMessage(count int64, cycle string, threshold int) string {
	return fmt.Sprintf("%d deprovisions in cycle %s exceed the accidental-deletion threshold of %d; nothing was deleted; held until the job is restarted with force-deletes",
		count, cycle, threshold)
}

// heldOutcomes renders held intents as the failed outcomes of the signal.
func (t *Transformer) heldOutcomes(cfg, cycle string, held []*eventsv1.WriteIntent, msg string) *eventsv1.OutcomeBatch {
	ob := &eventsv1.OutcomeBatch{ConfigurationId: cfg, CycleId: cycle}
	now := timestamppb.New(t.deps.Now())
	for _, wi := range held {
		ob.Outcomes = append(ob.Outcomes, &eventsv1.WriteOutcome{
			IntentId: wi.GetIntentId(), ConfigurationId: wi.GetConfigurationId(), CycleId: wi.GetCycleId(),
			Source: wi.GetSource(), TargetObjectId: wi.GetTargetObjectId(), Action: wi.GetAction(),
			Error:      &commonv1.ErrorDetail{Code: CodeDeletionThresholdExceeded, Message: msg},
			FinishedAt: now, LogJson: wi.GetLogJson(),
		})
	}
	return ob
}

// HeldCount returns how many deprovisions a cycle holds.
func (t *Transformer) HeldCount(ctx context.Context, configurationID, cycleID string) (int, error) {
	held, err := t.guard.Held(ctx, configurationID, cycleID)
	return len(held), err
}

// ReleaseHeld publishes the deprovisioning intents held (or still
// pending) for a cycle: the admin allowed the deletions (restart with
// force-deletes). It returns how many. It first marks the cycle forced so
// batches still in flight and the cycle's end hold nothing more. Message
// ids "<cycle>/held/<shard>/<n>" over intents sorted by id make a retried
// release deduplicate; the lists are dropped only after JetStream stored
// every message.
func (t *Transformer) ReleaseHeld(ctx context.Context, configurationID, cycleID string) (int, error) {
	if t.deps.JetStream == nil {
		return 0, errors.New("transformer: release needs JetStream")
	}
	comp, err := t.deps.Rules.Rules(ctx, configurationID)
	if err != nil {
		return 0, fmt.Errorf("release held of %s: %w", cycleID, err)
	}
	if err := t.guard.Force(ctx, configurationID, cycleID); err != nil {
		return 0, err
	}
	held, err := t.guard.Held(ctx, configurationID, cycleID)
	if err != nil {
		return 0, err
	}
	pending, err := t.guard.Pending(ctx, configurationID, cycleID)
	if err != nil {
		return 0, err
	}
	held = append(held, pending...)
	if len(held) == 0 {
		return 0, nil
	}
	if err := t.publishDeprovisions(ctx, comp.TargetTenantID, configurationID, cycleID, cycleID+"/held/", held); err != nil {
		return 0, fmt.Errorf("release held of %s: %w", cycleID, err)
	}
	if err := t.guard.Forget(ctx, configurationID, cycleID); err != nil {
		return 0, err
	}
	t.log.InfoContext(ctx, "held deprovisions released", keyConfiguration, configurationID, keyCycle, cycleID, "count", len(held))
	return len(held), nil
}

// publishDeprovisions publishes intents to their writer shards and waits
// until JetStream stored them all. Message ids are prefix + "<shard>/<n>"
// over the intents sorted by id, so the same list published again
// deduplicates.
func (t *Transformer) publishDeprovisions(ctx context.Context, tenant, cfg, cycle, prefix string, intents []*eventsv1.WriteIntent) error {
	intents = slices.Clone(intents)
	slices.SortFunc(intents, func(a, b *eventsv1.WriteIntent) int { return strings.Compare(a.GetIntentId(), b.GetIntentId()) })
	intents = slices.CompactFunc(intents, func(a, b *eventsv1.WriteIntent) bool { return a.GetIntentId() == b.GetIntentId() })
	byShard := map[int][]*eventsv1.WriteIntent{}
	for _, wi := range intents {
		k := natsx.ShardOf(wi.GetSource().GetObjectId(), t.cfg.IntentShards)
		byShard[k] = append(byShard[k], wi)
	}
	shards := slices.Sorted(maps.Keys(byShard))
	p, err := natsx.NewPublisher(t.deps.JetStream, natsx.PublisherOptions{MeterProvider: t.deps.MeterProvider})
	if err != nil {
		return err
	}
	tmpl := &eventsv1.IntentBatch{ConfigurationId: cfg, CycleId: cycle, TargetTenantId: tenant}
	n := 0 // message number: ids stay unique across shards and parts
	for _, k := range shards {
		list := byShard[k]
		subj, err := natsx.IntentSubject(tenant, cfg, list[0].GetSource().GetObjectId(), t.cfg.IntentShards)
		if err != nil {
			return natsx.Permanent(err)
		}
		for len(list) > 0 {
			chunk := list[:min(t.cfg.ReleaseBatch, len(list))]
			list = list[len(chunk):]
			for _, ib := range t.split(tmpl, int32(k), chunk) {
				id := prefix + strconv.Itoa(k) + "/" + strconv.Itoa(n)
				n++
				if err := p.Publish(ctx, subj, ib, id); err != nil {
					return err
				}
			}
		}
	}
	return p.WaitAll(ctx)
}

// forceDeletesKey is where the scheduler records an admin's approval of
// held deletions (RestartJob with force_deletes): the cycle id whose held
// deprovisions may go out.
func forceDeletesKey(cfg string) string { return "xtsync:{" + cfg + "}:force-deletes" }

// claimScript deletes the approval only if it still names the cycle we
// released, so a newer approval set meanwhile is not lost.
var claimScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// releaseApproved runs ReleaseHeld for an approval the scheduler left for
// this configuration. Checked before each batch: the restart's first batch
// (a FULL cycle follows every restart) releases the held deletions.
func (t *Transformer) releaseApproved(ctx context.Context, cfg string) error {
	if checkIDs(cfg) != nil {
		return nil // Process refuses the batch
	}
	key := forceDeletesKey(cfg)
	cycle, err := t.deps.Redis.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) || cycle == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read force-deletes approval of %s: %w", cfg, err)
	}
	if _, err := t.ReleaseHeld(ctx, cfg, cycle); err != nil {
		return err
	}
	if err := claimScript.Run(ctx, t.deps.Redis, []string{key}, cycle).Err(); err != nil {
		return fmt.Errorf("claim force-deletes approval of %s: %w", cfg, err)
	}
	return nil
}
