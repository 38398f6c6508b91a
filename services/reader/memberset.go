package reader

import (
	"context"
	"fmt"

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
