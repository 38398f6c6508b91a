package transformer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// expandMembers returns b with the member ids of every change that carries
// them by reference (member_set, stored by the reader) read back from
// Redis: decide and the assigned-members store need the complete list. b
// itself is returned unchanged when no change has a reference, else a
// copy (the scope pass stores b's changes, references and all, for the
// groups provisioning round).
func (t *Transformer) expandMembers(ctx context.Context, b *eventsv1.SourceChangeBatch) (*eventsv1.SourceChangeBatch, error) {
	var out *eventsv1.SourceChangeBatch
	for i, ch := range b.GetChanges() {
		if ch.GetMemberSet() == "" {
			continue
		}
		ids, err := t.sets.Get(ctx, b.GetConfigurationId(), ch.GetMemberSet())
		if err != nil {
			err = fmt.Errorf("members of group %s: %w", ch.GetObject().GetObjectId(), err)
			if errors.Is(err, redisx.ErrInvalid) || errors.Is(err, redisx.ErrMemberSetGone) {
				// Retrying cannot bring the set back; the group's next
				// change (or full cycle) carries its members again.
				return nil, natsx.Permanent(err)
			}
			return nil, err
		}
		if out == nil {
			out = proto.Clone(b).(*eventsv1.SourceChangeBatch)
		}
		c := out.GetChanges()[i]
		c.MemberIds, c.MemberSet = ids, ""
	}
	if out == nil {
		return b, nil
	}
	return out, nil
}

// externalizeMembers moves the desired and pending member ids of every
// intent with more than redisx.InlineMembers of them into member sets
// (desired_member_set, pending_source_member_set): the writer reads them
// back, and the IntentBatch stays bounded whatever the group's size. The
// members change then names the set instead of listing every id (the log
// service shows it as the modified property's new value).
func (t *Transformer) externalizeMembers(ctx context.Context, cfg string, intents []*eventsv1.WriteIntent) error {
	for _, wi := range intents {
		desired, pending := wi.GetDesiredMemberIds(), wi.GetPendingSourceMemberIds()
		if len(desired)+len(pending) <= redisx.InlineMembers {
			continue
		}
		ds, err := t.sets.Put(ctx, cfg, desired)
		if err != nil {
			return fmt.Errorf("desired members of %s: %w", wi.GetSource().GetObjectId(), err)
		}
		wi.DesiredMemberSet, wi.DesiredMemberIds = ds, nil
		if len(pending) > 0 {
			ps, err := t.sets.Put(ctx, cfg, pending)
			if err != nil {
				return fmt.Errorf("pending members of %s: %w", wi.GetSource().GetObjectId(), err)
			}
			wi.PendingSourceMemberSet, wi.PendingSourceMemberIds = ps, nil
		}
		for _, c := range wi.GetChanges() {
			if c.GetAttribute() == schema.Members {
				c.NewValueJson = strconv.Quote(strconv.Itoa(len(desired)) + " members (member set " + ds + ")")
			}
		}
	}
	return nil
}
