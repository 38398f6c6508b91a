package reader

import (
	"context"
	"fmt"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// externalize moves the member ids of every group with more than
// redisx.InlineMembers of them into a member set and leaves its id in
// member_set: a group of any size then fits one message (an "All
// employees" group of 300,000 ids is ~11 MB, NATS takes 1 MB). The set's
// id is its content's hash, so a re-read page gets the same id, the same
// content number and the same message ids (JetStream drops the copy).
// Runs before the set's id is needed: the sets are stored before the
// messages referencing them are published.
func (p *pagePublisher) externalize(ctx context.Context, changes []*eventsv1.SourceChange) error {
	if p.sets == nil {
		return nil
	}
	for _, ch := range changes {
		if len(ch.GetMemberIds()) <= redisx.InlineMembers {
			continue
		}
		id, err := p.sets.Put(ctx, p.cfgID, ch.GetMemberIds())
		if err != nil {
			return fmt.Errorf("members of group %s: %w", ch.GetObject().GetObjectId(), err)
		}
		ch.MemberSet, ch.MemberIds = id, nil
	}
	return nil
}

// accumulateMembers gives every group of a full read's page the members
// all the cycle's pages reported for it so far (redisx.MemberSets.
// Accumulate): Graph splits a big group's members@delta over several pages,
// repeating the group, and each copy would otherwise replace the last with
// a part of the list. The transformer keeps the latest observed copy, the
// one with every member. Delta rounds list each changed group by id, whole.
func (c *cycle) accumulateMembers(ctx context.Context, changes []*eventsv1.SourceChange) error {
	sets := c.r.deps.Members
	if sets == nil {
		return nil
	}
	byGroup := map[string][]string{}
	for _, ch := range changes {
		if ch.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP && ch.GetKind() == eventsv1.ChangeKind_CHANGE_KIND_UPSERT {
			byGroup[ch.GetObject().GetObjectId()] = ch.GetMemberIds()
		}
	}
	if len(byGroup) == 0 {
		return nil
	}
	all, err := sets.Accumulate(ctx, c.start.GetConfigurationId(), "cycle:"+c.start.GetCycleId(), byGroup)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if ids, ok := all[ch.GetObject().GetObjectId()]; ok && ch.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP {
			ch.MemberIds = ids
		}
	}
	return nil
}
