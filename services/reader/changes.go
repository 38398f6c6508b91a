package reader

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Graph's @removed reasons.
const (
	reasonChanged = "changed" // soft-deleted: restorable from deletedItems
	reasonDeleted = "deleted" // permanently deleted
)

const typeUser = "#microsoft.graph.user"

// kindOfRemoved maps Graph's @removed reason to a ChangeKind. An unknown
// reason counts as a soft delete: the restorable outcome is the safe guess.
func kindOfRemoved(reason string) eventsv1.ChangeKind {
	if reason == reasonDeleted {
		return eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED
	}
	return eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED
}

// changeFactory stamps the fields every change of one cycle shares.
type changeFactory struct {
	cfgID, cycleID, tenantID string
	observed                 *timestamppb.Timestamp
}

func (f changeFactory) change(t commonv1.ObjectType, id string, kind eventsv1.ChangeKind) *eventsv1.SourceChange {
	return &eventsv1.SourceChange{
		ConfigurationId: f.cfgID,
		CycleId:         f.cycleID,
		Object:          &commonv1.ObjectRef{Type: t, TenantId: f.tenantID, ObjectId: id},
		Kind:            kind,
		ObservedAt:      f.observed,
	}
}

func (f changeFactory) removed(t commonv1.ObjectType, rm []graph.Removed) []*eventsv1.SourceChange {
	out := make([]*eventsv1.SourceChange, 0, len(rm))
	for _, r := range rm {
		out = append(out, f.change(t, r.ID, kindOfRemoved(r.Reason)))
	}
	return out
}

func (f changeFactory) user(u graph.User) (*eventsv1.SourceChange, error) {
	attrs, err := attributesJSON(u.ID, u.Raw, u.Attributes, u.Manager)
	if err != nil {
		return nil, err
	}
	c := f.change(commonv1.ObjectType_OBJECT_TYPE_USER, u.ID, eventsv1.ChangeKind_CHANGE_KIND_UPSERT)
	c.AttributesJson = attrs
	return c, nil
}

func (f changeFactory) group(g graph.Group, members []string) (*eventsv1.SourceChange, error) {
	attrs, err := attributesJSON(g.ID, g.Raw, g.Attributes, nil)
	if err != nil {
		return nil, err
	}
	c := f.change(commonv1.ObjectType_OBJECT_TYPE_GROUP, g.ID, eventsv1.ChangeKind_CHANGE_KIND_UPSERT)
	c.AttributesJson = attrs
	c.MemberIds = members
	return c, nil
}

// userChanges converts one users delta page.
func (f changeFactory) userChanges(p graph.DeltaPage[graph.User]) ([]*eventsv1.SourceChange, error) {
	out := make([]*eventsv1.SourceChange, 0, len(p.Objects)+len(p.Removed))
	for _, u := range p.Objects {
		c, err := f.user(u)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return append(out, f.removed(commonv1.ObjectType_OBJECT_TYPE_USER, p.Removed)...), nil
}

// groupChanges converts one groups delta page. Every group change carries
// the group's complete set of direct user members: on the initial round
// members@delta lists them all; on a later round it lists only what
// changed, so the reader lists the members of each changed group instead
// (the transformer's decide needs the whole set, and a group whose
// attributes alone changed must not look empty): those of the groups list
// reports (nil: all) only; the others go without members (memberscope.go).
func (f changeFactory) groupChanges(ctx context.Context, src graph.Source, p graph.DeltaPage[graph.Group], initial bool, concurrency int, list membersFilter) ([]*eventsv1.SourceChange, error) {
	members := make([][]string, len(p.Objects))
	if initial {
		for i, g := range p.Objects {
			members[i] = userMembers(g.Members)
		}
	} else if err := listMembers(ctx, src, p.Objects, members, concurrency, list); err != nil {
		return nil, err
	}
	out := make([]*eventsv1.SourceChange, 0, len(p.Objects)+len(p.Removed))
	for i, g := range p.Objects {
		c, err := f.group(g, members[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return append(out, f.removed(commonv1.ObjectType_OBJECT_TYPE_GROUP, p.Removed)...), nil
}

// userMembers keeps the user members of a full members@delta (nested
// groups are not synchronized).
func userMembers(ms []graph.MemberChange) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if !m.Removed && (m.Type == "" || m.Type == typeUser) {
			out = append(out, m.ID)
		}
	}
	return out
}

// listMembers fills members[i] with the direct member ids of groups[i]
// that list reports (nil: all), at most concurrency listings at once.
func listMembers(ctx context.Context, src graph.Source, groups []graph.Group, members [][]string, concurrency int, list membersFilter) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, g := range groups {
		if list != nil && !list(g.ID) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			ids, err := src.ListUserMemberIDs(ctx, g.ID)
			if err != nil {
				cancel(fmt.Errorf("list members of group %s: %w", g.ID, err))
				return
			}
			if ids == nil {
				ids = []string{}
			}
			members[i] = ids
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
