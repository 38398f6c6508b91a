package reader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/services/reader"
)

// TestUserManager: with manager in user_select, a user's change carries
// the manager's source id under "manager" (the form the rules read as a
// Reference), null once it was removed, and nothing when the delta did not
// report it (unchanged). A revisited user (read by id) carries it too.
func TestUserManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 8, pageSize: 100})
	ids := e.tenant.UserIDs()
	for _, id := range ids {
		require.NoError(t, e.tenant.SetManager(id, ""))
	}
	boss, lead := ids[0], ids[1]
	require.NoError(t, e.tenant.SetManager(ids[2], boss))
	require.NoError(t, e.tenant.SetManager(ids[3], boss))
	e.cfg.UserSelect = reader.DefaultUserSelect()
	e.reader = e.newReader()

	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	users := e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER)
	require.Len(t, users, 8)
	manager := func(id string, users map[string]map[string]any) (any, bool) {
		v, ok := users[id]["manager"]
		return v, ok
	}
	attrs := map[string]map[string]any{}
	for id, c := range users {
		attrs[id] = attrsOf(t, c)
	}
	for _, id := range ids[2:4] {
		v, ok := manager(id, attrs)
		require.True(t, ok, id)
		require.Equal(t, boss, v)
	}
	_, ok := manager(boss, attrs)
	require.False(t, ok, "no manager: not reported on a full read")

	// Cycle 2: one manager changed, one removed, one set; an unrelated edit
	// carries no manager; the revisited ids[6] (read by id) says null and
	// ids[3] comes from the delta only.
	require.NoError(t, e.tenant.SetManager(ids[2], lead))
	require.NoError(t, e.tenant.SetManager(ids[3], ""))
	require.NoError(t, e.tenant.SetManager(ids[4], boss))
	require.NoError(t, e.tenant.SetManager(ids[6], lead))
	require.NoError(t, e.tenant.SetManager(ids[6], ""))
	require.NoError(t, e.tenant.UpdateUser(ids[5], func(u *graphsim.User) { u.JobTitle = "Chief" }))
	e.revisits = staticRevisits{ids: []string{ids[7]}}
	e.reader = e.newReader()
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c2", delta)))
	attrs = map[string]map[string]any{}
	for id, c := range e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER) {
		attrs[id] = attrsOf(t, c)
	}
	v, _ := manager(ids[2], attrs)
	require.Equal(t, lead, v)
	v, ok = manager(ids[3], attrs)
	require.True(t, ok)
	require.Nil(t, v, "removed: null")
	v, _ = manager(ids[4], attrs)
	require.Equal(t, boss, v)
	v, ok = manager(ids[6], attrs)
	require.True(t, ok)
	require.Nil(t, v)
	_, ok = manager(ids[5], attrs)
	require.False(t, ok, "unchanged manager: absent")
	v, ok = manager(ids[7], attrs)
	require.True(t, ok, "a read by id reports the manager, none here")
	require.Nil(t, v)
}
