package transformer

import (
	"context"
	"errors"
	"time"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// trackMembers records the members of assigned groups in this batch (and
// forgets those of deleted or unassigned groups) before any user is decided.
func (t *Transformer) trackMembers(ctx context.Context, comp *Compiled, b *eventsv1.SourceChangeBatch, changes []*eventsv1.SourceChange) error {
	for _, ch := range changes {
		obj := ch.GetObject()
		if obj.GetType() != groupType {
			continue
		}
		gid := obj.GetObjectId()
		var members []string
		if !deleted(ch) && comp.Config.Assignments.Group(gid).Assigned {
			members = ch.GetMemberIds()
		}
		var observed time.Time
		if ts := ch.GetObservedAt(); ts != nil {
			observed = ts.AsTime()
		}
		added, removed, stale, err := t.members.Replace(ctx, b.GetConfigurationId(), gid, observed, members)
		if err != nil {
			if errors.Is(err, errInvalidID) {
				return natsx.Permanent(err)
			}
			return err
		}
		if stale {
			t.log.WarnContext(ctx, "stale group change ignored for assignment", keyConfiguration, b.GetConfigurationId(),
				keyCycle, b.GetCycleId(), "group", gid)
			continue
		}
		if added+removed > 0 {
			t.log.InfoContext(ctx, "assigned group membership changed", keyConfiguration, b.GetConfigurationId(),
				keyCycle, b.GetCycleId(), "group", gid, "added", added, "removed", removed)
		}
	}
	return nil
}

// writesGroup reports a group write under a mapping set that manages
// members: writers reconcile membership on every such intent.
func writesGroup(cfg *decide.Config, ch *eventsv1.SourceChange, wi *eventsv1.WriteIntent) bool {
	if ch.GetObject().GetType() != groupType {
		return false
	}
	switch wi.GetAction() {
	case eventsv1.WriteAction_WRITE_ACTION_CREATE, eventsv1.WriteAction_WRITE_ACTION_UPDATE, eventsv1.WriteAction_WRITE_ACTION_RESTORE:
	default:
		return false
	}
	_, ok := cfg.Groups.Mappings.Lookup(schema.Members)
	return ok
}

// fillMembers sets the desired members of a group write whose membership
// did not change: writers reconcile desired_member_ids on every group
// write, so an update of the description alone must still carry them, or
// it would empty the target group.
func fillMembers(wi *eventsv1.WriteIntent, members []string, resolve func(string) (string, bool)) {
	for _, m := range members {
		if id, ok := resolve(m); ok {
			wi.DesiredMemberIds = append(wi.DesiredMemberIds, id)
		} else {
			wi.PendingSourceMemberIds = append(wi.PendingSourceMemberIds, m)
		}
	}
}

// pendingRef reports a decision that left a reference for a later cycle:
// members not provisioned yet, or a manager that did not resolve (the
// entry then lacks the manager's export hash).
func pendingRef(cfg *decide.Config, ch *eventsv1.SourceChange, manager string, d *decide.Decision) bool {
	if d.Members != nil && len(d.Members.Pending) > 0 {
		return true
	}
	return pendingManager(cfg, ch, manager, d)
}

// pendingManager reports a user written (or kept) without its manager,
// which did not resolve: the cycle's references round sets it.
func pendingManager(cfg *decide.Config, ch *eventsv1.SourceChange, manager string, d *decide.Decision) bool {
	if d.Entry == nil || d.Entry.State != decide.Active || ch.GetObject().GetType() == groupType || manager == "" {
		return false
	}
	if _, mapped := cfg.Users.Mappings.Lookup(schema.Manager); !mapped {
		return false
	}
	_, exported := d.Entry.Exported[schema.Manager]
	return !exported
}
