package reader

import (
	"context"
	"fmt"
	"sort"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// CycleGroups lists the group changes the transformers stored during a
// cycle's scope pass (transformer.CycleGroups implements it): the latest
// observed change of every group the cycle read, deletions included.
type CycleGroups interface {
	List(ctx context.Context, configurationID, cycleID string) ([]*eventsv1.SourceChange, error)
}

// provisionGroups is the groups provisioning round. A group's write carries
// its complete member list, and members resolve only through the connector
// store, so it waits until the cycle's users are written: the changes
// drained (every user decided) and then the intents drained (writers ack
// only after storing the connector entries). Then the groups the scope pass
// stored, plus the revisited ones it did not, are published as counted
// changes. The page number is the groups round's claimed revision: unique
// to this run, like every page.
func (c *cycle) provisionGroups(ctx context.Context, groups *round, revisited []*eventsv1.SourceChange) error {
	if err := c.pp.waitAll(ctx); err != nil {
		return err
	}
	if err := c.waitDrained(ctx, "users"); err != nil {
		return err
	}
	if err := c.waitWritten(ctx, "users written"); err != nil {
		return err
	}
	stored, err := c.r.deps.Groups.List(ctx, c.start.GetConfigurationId(), c.start.GetCycleId())
	if err != nil {
		return fmt.Errorf("list the cycle's groups: %w", err)
	}
	seen := make(map[string]bool, len(stored))
	changes := make([]*eventsv1.SourceChange, 0, len(stored)+len(revisited))
	for _, ch := range stored {
		seen[ch.GetObject().GetObjectId()] = true
		changes = append(changes, ch)
	}
	// A revisited group the delta also returned goes once, as the delta
	// read it: one decision, one log entry per object and cycle.
	for _, ch := range revisited {
		if !seen[ch.GetObject().GetObjectId()] {
			seen[ch.GetObject().GetObjectId()] = true
			changes = append(changes, ch)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	sort.SliceStable(changes, func(i, j int) bool {
		return changes[i].GetObject().GetObjectId() < changes[j].GetObject().GetObjectId()
	})
	if err := c.pp.publish(ctx, typeGroupWrites, int64(groups.wm.Rev), changes); err != nil {
		return err
	}
	c.countObjects(ctx, typeGroupWrites, changes)
	c.log.Info("groups queued for provisioning", keyObjects, len(changes))
	return c.pp.waitAll(ctx)
}

// typeGroupWrites names the groups provisioning round in message ids
// ("<cycle>/group-writes/<page>/<shard>") and metrics; the scope pass keeps
// "groups".
const typeGroupWrites = "group-writes"
