package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// TestUsersDeltaManager: with manager selected, a full round reports each
// user's manager and a change round only the changes (set, changed,
// removed as ""); a user whose manager did not change has Manager nil.
// GetUser expands the manager when "manager" is selected.
func TestUsersDeltaManager(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(5))
	ten := s.srv.Tenants()[0]
	ids := ten.UserIDs()
	for _, id := range ids {
		require.NoError(t, ten.SetManager(id, ""))
	}
	require.NoError(t, ten.SetManager(ids[1], ids[0]))
	require.NoError(t, ten.SetManager(ids[2], ids[0]))
	sel := []string{"id", "displayName", "manager"}

	objs, _, link, _ := userRound(t, s.client, graph.DeltaRequest{Select: sel})
	require.Len(t, objs, 5)
	for _, id := range []string{ids[1], ids[2]} {
		require.NotNil(t, objs[id].Manager, id)
		require.Equal(t, ids[0], *objs[id].Manager)
		props, err := objs[id].Properties()
		require.NoError(t, err)
		require.NotContains(t, props, "manager@delta")
		require.NotContains(t, props, "manager")
	}
	require.Nil(t, objs[ids[0]].Manager, "no manager on a full read: not reported")

	require.NoError(t, ten.SetManager(ids[1], ids[3]))
	require.NoError(t, ten.SetManager(ids[2], ""))
	require.NoError(t, ten.UpdateUser(ids[4], func(u *graphsim.User) { u.DisplayName = "Renamed" }))
	objs, _, _, _ = userRound(t, s.client, graph.DeltaRequest{Link: link})
	require.Len(t, objs, 3)
	require.Equal(t, ids[3], *objs[ids[1]].Manager)
	require.NotNil(t, objs[ids[2]].Manager)
	require.Equal(t, "", *objs[ids[2]].Manager, "removed")
	require.Nil(t, objs[ids[4]].Manager, "unchanged")

	ctx := testCtx(t)
	u, err := s.client.GetUser(ctx, ids[1], sel...)
	require.NoError(t, err)
	require.Equal(t, ids[3], *u.Manager)
	require.NotContains(t, u.Attributes, "manager")
	require.Equal(t, u.DisplayName, u.Attributes["displayName"])
	u, err = s.client.GetUser(ctx, ids[2], sel...)
	require.NoError(t, err)
	require.Equal(t, "", *u.Manager)
	u, err = s.client.GetUser(ctx, ids[2], "id", "displayName")
	require.NoError(t, err)
	require.Nil(t, u.Manager, "not asked for")
}
