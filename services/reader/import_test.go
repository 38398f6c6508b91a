package reader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

const (
	upsert = eventsv1.ChangeKind_CHANGE_KIND_UPSERT
	soft   = eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED
	hard   = eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED
	delta  = eventsv1.CycleMode_CYCLE_MODE_DELTA
	full   = eventsv1.CycleMode_CYCLE_MODE_FULL
)

// TestFullImportThenDelta reads a whole tenant, then exactly what changed.
func TestFullImportThenDelta(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 2500, groups: 12, pageSize: 300})
	ctx := ctxT(t)

	// Cycle 1: no watermark yet, so DELTA starts with a full import.
	require.NoError(t, e.reader.RunCycle(ctx, start("c1", delta)))
	got := e.drainChanges()
	users, groups := e.liveIDs()
	require.Len(t, got.changes, len(users)+len(groups), "every object exactly once")
	for id, c := range got.ofType(commonv1.ObjectType_OBJECT_TYPE_USER) {
		require.True(t, users[id], id)
		require.Equal(t, upsert, c.GetKind())
		attrs := attrsOf(t, c)
		require.Equal(t, id, attrs["netId"])
		require.Equal(t, id, attrs["id"])
		u, _ := e.tenant.User(id)
		require.Equal(t, u.DisplayName, attrs["displayName"])
		require.Equal(t, u.UserPrincipalName, attrs["userPrincipalName"])
		require.Equal(t, u.AccountEnabled, attrs["accountEnabled"])
	}
	memberships := 0
	for id, c := range got.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP) {
		require.True(t, groups[id], id)
		require.ElementsMatch(t, e.userMembers(id), c.GetMemberIds(), "group %s", id)
		memberships += len(c.GetMemberIds())
	}
	require.Positive(t, memberships)
	ends := e.cycleEnds()
	require.Len(t, ends, 1)
	require.Equal(t, "c1", ends[0].GetCycleId())
	require.EqualValues(t, len(got.changes), ends[0].GetChangesPublished())
	for _, typ := range []redisx.ObjectType{redisx.Users, redisx.Groups} {
		wm := e.watermark(typ)
		require.NotEmpty(t, wm.DeltaLink, typ)
		require.Empty(t, wm.NextLink, typ)
		require.False(t, wm.FullImport, typ)
		require.Equal(t, "c1", wm.CycleID)
	}

	// Cycle 2: create, update, soft delete, hard delete, membership change.
	ids := e.tenant.UserIDs()
	updated, softDeleted, purged, restored, joiner := ids[0], ids[1], ids[2], ids[3], ids[4]
	group := e.tenant.GroupIDs()[0]
	before := groupsContaining(e, softDeleted, purged, restored)
	created, err := e.client.CreateUser(ctx, graph.Attributes{
		"accountEnabled": true, "displayName": "New Hire", "mailNickname": "newhire",
		"userPrincipalName": "newhire@" + e.tenant.Domain(), "passwordProfile": map[string]any{"password": "Xy!12345678"},
	})
	require.NoError(t, err)
	require.NoError(t, e.client.UpdateUser(ctx, updated, graph.Attributes{"jobTitle": "Director"}))
	require.NoError(t, e.client.DeleteUser(ctx, softDeleted))
	require.NoError(t, e.client.DeleteUser(ctx, restored))
	require.NoError(t, e.client.DeleteUser(ctx, purged))
	require.NoError(t, e.client.PermanentlyDelete(ctx, purged))
	if !contains(e.userMembers(group), joiner) {
		require.NoError(t, e.client.AddMember(ctx, group, joiner))
	} else {
		require.NoError(t, e.client.RemoveMember(ctx, group, joiner))
	}

	// A nested group is a member, but never a synchronized one.
	require.NoError(t, e.client.AddMember(ctx, group, e.tenant.GroupIDs()[1]))

	require.NoError(t, e.reader.RunCycle(ctx, start("c2", delta)))
	got = e.drainChanges()
	want := map[string]eventsv1.ChangeKind{
		created.ID: upsert, updated: upsert, softDeleted: soft, restored: soft, purged: hard, group: upsert,
	}
	for g := range before { // deleted users left these groups
		want[g] = upsert
	}
	require.Equal(t, want, got.kinds())
	require.Len(t, got.changes, len(want), "each change once")
	byID := got.byID()
	require.Equal(t, "Director", attrString(t, byID[updated], "jobTitle"))
	require.Equal(t, "New Hire", attrString(t, byID[created.ID], "displayName"))
	for g := range want {
		if c := byID[g]; c.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP {
			require.ElementsMatch(t, e.userMembers(g), c.GetMemberIds(), "complete member set of %s", g)
		}
	}
	ends = e.cycleEnds()
	require.Len(t, ends, 1)
	require.EqualValues(t, len(want), ends[0].GetChangesPublished())
	require.Equal(t, "c2", e.watermark(redisx.Users).CycleID)

	// Cycle 3: a restore brings the user (and its memberships) back.
	_, err = e.client.Restore(ctx, restored)
	require.NoError(t, err)
	require.NoError(t, e.reader.RunCycle(ctx, start("c3", delta)))
	got = e.drainChanges()
	want = map[string]eventsv1.ChangeKind{restored: upsert}
	for g := range groupsContaining(e, restored) {
		want[g] = upsert
	}
	require.Equal(t, want, got.kinds())

	// Cycle 4: nothing changed, nothing published, CycleEnd says 0.
	require.NoError(t, e.reader.RunCycle(ctx, start("c4", delta)))
	require.Empty(t, e.drainChanges().changes)
	ends = e.cycleEnds()
	require.Len(t, ends, 2)
	require.Equal(t, "c4", ends[1].GetCycleId())
	require.Zero(t, ends[1].GetChangesPublished())
}

func groupsContaining(e *env, ids ...string) map[string]bool {
	out := map[string]bool{}
	for _, g := range e.tenant.GroupIDs() {
		grp, _ := e.tenant.Group(g)
		for _, id := range ids {
			if contains(grp.Members, id) {
				out[g] = true
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
