package reader

import (
	"context"
	"fmt"
	"sort"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// CycleReferences lists the users the transformers decided during a cycle
// while their manager was not written yet (transformer.CycleRefs
// implements it): the latest observed change of each.
type CycleReferences interface {
	List(ctx context.Context, configurationID, cycleID string) ([]*eventsv1.SourceChange, error)
}

// typeReferences names the references round in message ids
// ("<cycle>/references/<page>/<shard>") and metrics.
const typeReferences = "references"

// references is the references round (Entra resolves a reference once the
// referenced object is provisioned). A user decided before its manager was
// written was written without it and its log entry held back (deferred);
// once the cycle's users are written (changes drained, then intents
// drained: writers ack after storing the connector entries) those users
// are published again, flagged references and not counted: the
// transformer only sets what resolves now, and its intent's log is the
// second part of the user's one entry of the cycle. Numbered by content
// (contentPage), so a rerun of the cycle that finds the same users
// publishes the same message ids and JetStream drops them.
//
// A chain of reports decided before their managers resolves in this one
// round: every user of the cycle was written before it, and the round only
// sets references.
func (c *cycle) references(ctx context.Context) error {
	if err := c.waitUsersWritten(ctx); err != nil {
		return err
	}
	stored, err := c.r.deps.References.List(ctx, c.start.GetConfigurationId(), c.start.GetCycleId())
	if err != nil {
		return fmt.Errorf("list the cycle's unresolved references: %w", err)
	}
	if len(stored) == 0 {
		return nil
	}
	page := contentPage(stored, nil)
	sort.SliceStable(stored, func(i, j int) bool {
		return stored[i].GetObject().GetObjectId() < stored[j].GetObject().GetObjectId()
	})
	c.pp.references = true
	err = c.pp.publish(ctx, typeReferences, page, stored)
	c.pp.references = false
	if err != nil {
		return err
	}
	c.countObjects(ctx, typeReferences, stored)
	c.log.Info("references round queued", keyObjects, len(stored))
	return c.pp.waitAll(ctx)
}
