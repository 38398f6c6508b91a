package reader

import (
	"context"
	"fmt"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Revisits lists the source objects to read again although Graph's delta
// will not return them (users who joined or left an assigned group, objects
// with references not provisioned yet). The transformer owns the set
// (transformer.Revisits implements this) and clears ids as it decides them;
// the reader only reads it.
type Revisits interface {
	List(ctx context.Context, configurationID string) ([]string, error)
}

// revisit publishes the revisit set as changes, read by id, after the
// groups (and their barrier: the membership changes of this very cycle are
// then already in the set) and after the users round, skipping the users
// that round published: one change per object and cycle. A full import
// reads every object anyway and skips it. With the groups provisioning
// round (Deps.Groups), revisited groups are returned instead of published:
// they go with the cycle's other groups, after the users are written.
func (c *cycle) revisit(ctx context.Context, users *round) (groups []*eventsv1.SourceChange, err error) {
	if c.r.deps.Revisits == nil || users.full {
		return nil, nil
	}
	ids, err := c.r.deps.Revisits.List(ctx, c.start.GetConfigurationId())
	if err != nil {
		return nil, fmt.Errorf("list revisits: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	changes := make([]*eventsv1.SourceChange, 0, len(ids))
	for _, id := range ids {
		if c.usersRead[id] {
			continue // the users round has it, as new as this read
		}
		ch, err := c.readByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.r.deps.Groups != nil && ch.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP {
			groups = append(groups, ch)
			continue
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		return groups, nil
	}
	// Numbered by content, like pages: a rerun after a crash between this
	// publish and the cycle's end finds the ids still in the set (the
	// transformer clears them as it decides) and republishes unchanged
	// batches under the same ids, which JetStream drops.
	if err := c.pp.publishByContent(ctx, "revisit", "", changes); err != nil {
		return nil, err
	}
	c.countObjects(ctx, "revisit", changes)
	c.log.Info("revisits queued", keyObjects, len(changes), "groups_deferred", len(groups))
	return groups, c.pp.waitAll(ctx)
}

// readByID reads an object of unknown type: a user, else a group. One
// that is neither any more is gone for good as far as the reader can
// tell: HARD_DELETED, typed as a user (the revisit set is mostly users).
func (c *cycle) readByID(ctx context.Context, id string) (*eventsv1.SourceChange, error) {
	u, err := c.src.GetUser(ctx, id, c.userSel...)
	if err == nil {
		return c.f.user(u)
	}
	if !graph.IsNotFound(err) {
		return nil, fmt.Errorf("revisit %s: %w", id, err)
	}
	g, err := c.src.GetGroup(ctx, id, c.r.cfg.GroupSelect...)
	if err == nil {
		members, err := c.src.ListUserMemberIDs(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("revisit group %s: %w", id, err)
		}
		return c.f.group(g, members)
	}
	if !graph.IsNotFound(err) {
		return nil, fmt.Errorf("revisit %s: %w", id, err)
	}
	return c.f.change(commonv1.ObjectType_OBJECT_TYPE_USER, id, eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED), nil
}
