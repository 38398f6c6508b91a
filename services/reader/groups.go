package reader

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

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
// changes, numbered by their content (contentPage).
func (c *cycle) provisionGroups(ctx context.Context, revisited []*eventsv1.SourceChange) error {
	if err := c.waitUsersWritten(ctx); err != nil {
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
	stable := len(changes)
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
	page := contentPage(changes[:stable], changes[stable:])
	sort.SliceStable(changes, func(i, j int) bool {
		return changes[i].GetObject().GetObjectId() < changes[j].GetObject().GetObjectId()
	})
	if err := c.pp.publish(ctx, typeGroupWrites, page, changes); err != nil {
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

// contentPage numbers the groups provisioning round by what it publishes:
// the stored changes (id, kind, observed_at) and the revisited ids. A rerun
// of the cycle after this round was published finds the same stored
// changes, so its messages get the same ids and JetStream drops them
// (otherwise every group would be decided and logged twice); a re-read
// that stored newer data changes the number, and the newer data goes out.
// Revisits are read again by every run, so only their ids count.
func contentPage(stored, revisited []*eventsv1.SourceChange) int64 {
	keys := make([]string, 0, len(stored)+len(revisited))
	for _, ch := range stored {
		keys = append(keys, ch.GetObject().GetObjectId()+"/"+ch.GetKind().String()+"/"+
			strconv.FormatInt(ch.GetObservedAt().AsTime().UnixNano(), 10))
	}
	for _, ch := range revisited {
		keys = append(keys, ch.GetObject().GetObjectId()+"/revisit")
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		_, _ = h.Write([]byte(k))
		_, _ = h.Write([]byte{0})
	}
	return int64(h.Sum64() >> 1) // non-negative: revisits use negative pages
}
