package transformer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/transformer"
)

// TestAssignmentViaGroupMembership walks a user through "direct member of
// an assigned group": out before the group is seen, in after, out again
// when the group drops them or is deleted, and never via an unassigned group.
func TestAssignmentViaGroupMembership(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	action := func(ch *eventsv1.SourceChange) (eventsv1.WriteAction, string) {
		wi := f.one(ch)
		return wi.GetAction(), wi.GetCode()
	}

	a, code := action(user("u7"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_SKIP, a)
	require.Equal(t, string(rules.NotEffectivelyEntitled), code, "group membership not seen yet")

	a, _ = action(group("g-other", []string{"u8"}))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_SKIP, a, "unassigned group")
	a, code = action(user("u8"))
	require.Equal(t, string(rules.NotEffectivelyEntitled), code, "member of an unassigned group only")

	action(group("g-staff", []string{"u7", "u8"}))
	wi := f.one(user("u7"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), wi.GetLogJson())
	require.Contains(t, wi.GetLogJson(), "direct member of assigned group g-staff")
	f.provision(user("u7"), redisx.Active, now.Add(-time.Hour))
	f.provision(user("u8"), redisx.Active, now.Add(-time.Hour))

	// Redelivering the group is harmless.
	action(group("g-staff", []string{"u7", "u8"}))
	a, code = action(user("u7"))
	require.Equal(t, string(rules.NoChange), code)

	action(group("g-staff", []string{"u8"}))
	a, code = action(user("u7"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, a, "left the assigned group")
	require.Equal(t, string(rules.NotEffectivelyEntitled), code)
	a, _ = action(user("u8"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_SKIP, a)

	action(deletedChange(groupT, "g-staff", eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED))
	a, _ = action(user("u8"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, a, "its assigned group was deleted")

	// Members of two assigned groups stay in while either has them.
	action(group("g-staff", []string{"u9"}))
	action(group("g-dist", []string{"u9"}))
	action(group("g-staff", nil))
	a, _ = action(user("u9"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, a, "still in g-dist")
}

// TestRedeliveredBatchSameIntents: the same input gives the same intent
// ids and content; another page with the same object gives other ids.
func TestRedeliveredBatchSameIntents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.provision(user("u2"), redisx.Active, now.Add(-time.Hour))
	b := batch(7, user("u1"), user("u2", "city", "Bergen"), user("u3", "department", "Contractors"), group("g-staff", []string{"u1", "u2"}))
	first, err := f.tr.Transform(ctxT(t), b)
	require.NoError(t, err)
	second, err := f.tr.Transform(ctxT(t), b)
	require.NoError(t, err)
	require.Len(t, first.GetIntents(), 4)
	for i := range first.GetIntents() {
		require.Equal(t, first.GetIntents()[i].GetIntentId(), second.GetIntents()[i].GetIntentId())
		require.Equal(t, first.GetIntents()[i].String(), second.GetIntents()[i].String())
	}
	other, err := f.tr.Transform(ctxT(t), batch(8, user("u1")))
	require.NoError(t, err)
	require.NotEqual(t, first.GetIntents()[0].GetIntentId(), other.GetIntents()[0].GetIntentId())
	require.Equal(t, tenant, first.GetTargetTenantId())
}

// TestRevisits: users whose assigned-group membership changed and objects
// with unresolved references are listed for the reader; deciding them
// without a pending reference clears them.
func TestRevisits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	rv := transformer.NewRevisits(f.rdb)
	list := func() []string {
		ids, err := rv.List(ctxT(t), cfgID)
		require.NoError(t, err)
		return ids
	}
	f.one(group("g-staff", []string{"u7", "u8"}))
	require.ElementsMatch(t, []string{"u7", "u8", "g-staff"}, list(), "joined an assigned group; the group's members are pending")

	f.one(user("u7", "manager", "u8"))
	require.ElementsMatch(t, []string{"u7", "u8", "g-staff"}, list(), "u7's manager u8 is not provisioned yet")
	f.provision(user("u8"), redisx.Active, now.Add(-time.Hour))
	require.ElementsMatch(t, []string{"u7", "g-staff"}, list())
	f.one(user("u7", "manager", "u8"))
	require.ElementsMatch(t, []string{"g-staff"}, list(), "manager resolved")

	wi := f.one(group("g-staff", []string{"u8", "u9"}))
	require.Equal(t, []string{"u9"}, wi.GetPendingSourceMemberIds())
	require.ElementsMatch(t, []string{"u7", "u9", "g-staff"}, list(), "u7 left, u9 joined, the group has a pending member")
}

// TestStaleGroupChangeIgnored: an older cycle's group change redelivered
// after a newer one does not bring back the old membership.
func TestStaleGroupChangeIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	newer := group("g-staff", []string{"u8"})
	f.one(newer)
	older := group("g-staff", []string{"u7"})
	older.ObservedAt = timestamppb.New(now.Add(-time.Hour))
	f.one(older)
	wi := f.one(user("u7"))
	require.Equal(t, string(rules.NotEffectivelyEntitled), wi.GetCode(), "the stale membership was not applied")
	wi = f.one(user("u8"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction())
}

// TestDeletedGroupReportedAsUser: a revisit of a deleted object only knows
// its id and reports a user; the connector entry says it was a group.
func TestDeletedGroupReportedAsUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.one(group("g-staff", []string{"u7"}))
	f.provision(user("u7"), redisx.Active, now.Add(-time.Hour))
	f.provision(group("g-staff", []string{"u7"}), redisx.Active, now.Add(-time.Hour))
	require.Equal(t, string(rules.NoChange), f.one(user("u7")).GetCode())

	wi := f.one(deletedChange(userT, "g-staff", eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED))
	require.Equal(t, groupT, wi.GetSource().GetType())
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, wi.GetAction())
	require.Equal(t, "t-g-staff", wi.GetTargetObjectId())
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, f.one(user("u7")).GetAction(), "its members lost the assignment")
}
