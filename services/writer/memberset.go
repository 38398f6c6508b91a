package writer

import (
	"context"
	"errors"
	"fmt"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
)

// loadMembers reads back the desired members of the group writes whose
// intents carry them by reference (desired_member_set: a group with more
// than redisx.InlineMembers members). A set that is gone fails the intent
// (escrowed, so the next cycle decides and stores it again); Redis being
// unreachable fails the batch, which is redelivered.
func (a *applier) loadMembers(ctx context.Context, tasks []*task) error {
	for _, t := range tasks {
		id := t.in.GetDesiredMemberSet()
		if id == "" || t.fail != nil {
			continue
		}
		if a.w.d.Members == nil {
			t.failWith(rules.EntrySynchronizationSkipped, "writer: desired member set "+id+" but no member set store")
			t.done = true
			continue
		}
		ids, err := a.w.d.Members.Get(ctx, a.cfgID, id)
		switch {
		case errors.Is(err, redisx.ErrMemberSetGone), errors.Is(err, redisx.ErrInvalid):
			t.failWith(rules.EntrySynchronizationSkipped, fmt.Sprintf("desired members of group %s: %v", t.in.GetSource().GetObjectId(), err))
			t.done = true
		case err != nil:
			return fmt.Errorf("desired members of group %s: %w", t.in.GetSource().GetObjectId(), err)
		default:
			t.in.DesiredMemberIds = ids
		}
	}
	return nil
}
