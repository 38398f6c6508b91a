package reader

import (
	"context"
	"fmt"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// onDemand reads only the objects the CycleStart lists and publishes them
// as page 0 of their type. Watermarks are neither read nor moved: the next
// delta cycle sees these objects again if they changed, which is harmless.
// An object Graph no longer has (404) is published as soft-deleted, the
// restorable outcome: /users/{id} cannot tell a soft delete from a purge.
func (c *cycle) onDemand(ctx context.Context) error {
	var users, groups []*eventsv1.SourceChange
	for _, ref := range c.start.GetObjects() {
		id := ref.GetObjectId()
		switch ref.GetType() {
		case commonv1.ObjectType_OBJECT_TYPE_USER:
			ch, err := c.onDemandUser(ctx, id)
			if err != nil {
				return err
			}
			users = append(users, ch)
		case commonv1.ObjectType_OBJECT_TYPE_GROUP:
			ch, err := c.onDemandGroup(ctx, id)
			if err != nil {
				return err
			}
			groups = append(groups, ch)
		default:
			return fmt.Errorf("on-demand object %s: unsupported type %s", id, ref.GetType())
		}
	}
	for typ, changes := range map[redisx.ObjectType][]*eventsv1.SourceChange{redisx.Users: users, redisx.Groups: groups} {
		if len(changes) == 0 {
			continue
		}
		if err := c.pp.publish(ctx, string(typ), 0, changes); err != nil {
			return err
		}
		c.countObjects(ctx, string(typ), changes)
	}
	return nil
}

func (c *cycle) onDemandUser(ctx context.Context, id string) (*eventsv1.SourceChange, error) {
	u, err := c.src.GetUser(ctx, id, c.userSel...)
	if graph.IsNotFound(err) {
		return c.f.change(commonv1.ObjectType_OBJECT_TYPE_USER, id, eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", id, err)
	}
	return c.f.user(u)
}

func (c *cycle) onDemandGroup(ctx context.Context, id string) (*eventsv1.SourceChange, error) {
	g, err := c.src.GetGroup(ctx, id, c.r.cfg.GroupSelect...)
	if graph.IsNotFound(err) {
		return c.f.change(commonv1.ObjectType_OBJECT_TYPE_GROUP, id, eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s: %w", id, err)
	}
	members, err := c.src.ListUserMemberIDs(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", id, err)
	}
	return c.f.group(g, members)
}
