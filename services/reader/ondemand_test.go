package reader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// TestOnDemand reads only the listed objects and leaves the watermarks
// alone.
func TestOnDemand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 50, groups: 3, pageSize: 100})
	// No threshold on demand: the end does not wait for a transformer.
	e.cfg.EndBarrier = true
	e.reader = e.newReader()
	users, groups := e.tenant.UserIDs(), e.tenant.GroupIDs()
	require.NoError(t, e.client.DeleteUser(ctxT(t), users[2]))
	user := func(id string) *commonv1.ObjectRef {
		return &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, TenantId: e.tenant.ID(), ObjectId: id}
	}
	group := func(id string) *commonv1.ObjectRef {
		return &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_GROUP, TenantId: e.tenant.ID(), ObjectId: id}
	}
	for i, tc := range []struct {
		name    string
		objects []*commonv1.ObjectRef
		want    map[string]eventsv1.ChangeKind
	}{
		{"two users", []*commonv1.ObjectRef{user(users[0]), user(users[1])},
			map[string]eventsv1.ChangeKind{users[0]: upsert, users[1]: upsert}},
		{"a user and a group", []*commonv1.ObjectRef{user(users[3]), group(groups[0])},
			map[string]eventsv1.ChangeKind{users[3]: upsert, groups[0]: upsert}},
		{"a deleted user", []*commonv1.ObjectRef{user(users[2]), user(users[4])},
			map[string]eventsv1.ChangeKind{users[2]: soft, users[4]: upsert}},
	} {
		cycleID := "od" + string(rune('1'+i))
		require.NoError(t, e.reader.RunCycle(ctxT(t), start(cycleID, eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND, tc.objects...)), tc.name)
		got := e.drainChanges()
		require.Equal(t, tc.want, got.kinds(), tc.name)
		require.Len(t, got.changes, 2, tc.name)
		for id, c := range got.byID() {
			if c.GetKind() != upsert {
				continue
			}
			require.Equal(t, id, attrString(t, c, "netId"), tc.name)
			if c.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP {
				require.ElementsMatch(t, e.userMembers(id), c.GetMemberIds(), tc.name)
			}
		}
		ends := e.cycleEnds()
		require.Len(t, ends, 1, tc.name)
		require.EqualValues(t, 2, ends[0].GetChangesPublished(), tc.name)
		require.Equal(t, eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND, ends[0].GetMode(), tc.name)
	}
	for _, typ := range []redisx.ObjectType{redisx.Users, redisx.Groups} {
		_, err := e.wm.Get(ctxT(t), testCfg, typ)
		require.ErrorIs(t, err, redisx.ErrNotFound, "on-demand never touches the watermark")
	}
}
