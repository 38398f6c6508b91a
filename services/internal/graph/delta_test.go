package graph_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// userRound runs one users delta round and indexes what it saw.
func userRound(t *testing.T, c *graph.Client, r graph.DeltaRequest) (map[string]graph.User, map[string]string, string, int) {
	t.Helper()
	objs, removed, pages := map[string]graph.User{}, map[string]string{}, 0
	link, err := c.UsersDelta(testCtx(t), r, func(p graph.DeltaPage[graph.User]) error {
		pages++
		for _, u := range p.Objects {
			objs[u.ID] = u
		}
		for _, rm := range p.Removed {
			removed[rm.ID] = rm.Reason
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, link)
	return objs, removed, link, pages
}

func TestUsersDeltaRounds(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(120))
	ctx := testCtx(t)
	sel := []string{"id", "displayName", "userPrincipalName", "jobTitle", "accountEnabled"}

	// Round 1: the full import, several pages.
	objs, removed, link, pages := userRound(t, s.client, graph.DeltaRequest{Select: sel, PageSize: 50})
	require.Len(t, objs, 120)
	require.Empty(t, removed)
	require.GreaterOrEqual(t, pages, 3)

	// Nothing changed: an empty round.
	objs, removed, link, _ = userRound(t, s.client, graph.DeltaRequest{Link: link})
	require.Empty(t, objs)
	require.Empty(t, removed)

	var ids []string
	for id := range firstUsers(t, s.client, 4) {
		ids = append(ids, id)
	}
	updated, softDeleted, purged, restored := ids[0], ids[1], ids[2], ids[3]
	created, err := s.client.CreateUser(ctx, graph.Attributes{
		"accountEnabled": true, "displayName": "New Hire", "mailNickname": "newhire",
		"userPrincipalName": "newhire@" + s.tenant.Domain, "passwordProfile": map[string]any{"password": "Xy!12345678"},
	})
	require.NoError(t, err)
	require.NoError(t, s.client.UpdateUser(ctx, updated, graph.Attributes{"jobTitle": "Director"}))
	require.NoError(t, s.client.DeleteUser(ctx, softDeleted))
	require.NoError(t, s.client.DeleteUser(ctx, purged))
	require.NoError(t, s.client.PermanentlyDelete(ctx, purged))
	require.NoError(t, s.client.DeleteUser(ctx, restored))

	// Round 3: create, update, soft delete ("changed"), permanent delete
	// ("deleted").
	objs, removed, link, _ = userRound(t, s.client, graph.DeltaRequest{Link: link})
	require.Contains(t, objs, created.ID)
	require.Equal(t, "New Hire", objs[created.ID].DisplayName)
	require.Contains(t, objs, updated)
	props, err := objs[updated].Properties()
	require.NoError(t, err)
	require.Equal(t, "Director", props["jobTitle"])
	require.Equal(t, "changed", removed[softDeleted])
	require.Equal(t, "changed", removed[restored])
	require.Equal(t, "deleted", removed[purged])

	// Round 4: a restore brings the user back as an object.
	_, err = s.client.Restore(ctx, restored)
	require.NoError(t, err)
	objs, removed, _, _ = userRound(t, s.client, graph.DeltaRequest{Link: link})
	require.Contains(t, objs, restored)
	require.NotContains(t, removed, restored)
}

func TestGroupsDeltaMembers(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(5))
	ctx := testCtx(t)
	sel := []string{"id", "displayName", "members"}

	link, err := s.client.GroupsDelta(ctx, graph.DeltaRequest{Select: sel}, func(graph.DeltaPage[graph.Group]) error { return nil })
	require.NoError(t, err)

	g, err := s.client.CreateGroup(ctx, graph.Attributes{
		"displayName": "Engineering", "mailNickname": "eng", "securityEnabled": true, "mailEnabled": false,
	})
	require.NoError(t, err)
	users := firstUsers(t, s.client, 2)
	for id := range users {
		require.NoError(t, s.client.AddMember(ctx, g.ID, id))
	}
	// Adding again is refused the way Graph does (400, not 409), which
	// the writer treats as an idempotent success.
	for id := range users {
		err := s.client.AddMember(ctx, g.ID, id)
		requireGraphError(t, err, http.StatusBadRequest, "Request_BadRequest")
		require.True(t, graph.IsAlreadyExists(err))
		break
	}
	memberIDs, err := s.client.ListMemberIDs(ctx, g.ID)
	require.NoError(t, err)
	require.Len(t, memberIDs, 2)

	members := groupRoundMembers(t, s.client, &link, g.ID)
	require.Len(t, members, 2)
	for _, m := range members {
		require.Contains(t, users, m.ID)
		require.False(t, m.Removed)
		require.Equal(t, "#microsoft.graph.user", m.Type)
	}

	gone := memberIDs[0]
	require.NoError(t, s.client.RemoveMember(ctx, g.ID, gone))
	members = groupRoundMembers(t, s.client, &link, g.ID)
	require.Equal(t, []graph.MemberChange{{ID: gone, Type: "#microsoft.graph.user", Removed: true}}, members)

	require.NoError(t, s.client.DeleteGroup(ctx, g.ID))
	var removed []graph.Removed
	_, err = s.client.GroupsDelta(ctx, graph.DeltaRequest{Link: link}, func(p graph.DeltaPage[graph.Group]) error {
		removed = append(removed, p.Removed...)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []graph.Removed{{ID: g.ID, Reason: "changed"}}, removed)
}

func TestDeltaLinkExpired(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(3))
	_, _, link, _ := userRound(t, s.client, graph.DeltaRequest{Select: []string{"id"}})

	// Graph keeps delta state for a limited time (30 days for directory
	// objects); past that the link answers 410 Gone.
	s.clock.Advance(40 * 24 * time.Hour)
	fresh := s.newClient(t, nil) // the old client's cached token expired too
	_, err := fresh.UsersDeltaPage(testCtx(t), graph.DeltaRequest{Link: link})
	require.ErrorIs(t, err, graph.ErrDeltaExpired)
	require.False(t, graph.IsTransient(err))
}

func groupRoundMembers(t *testing.T, c *graph.Client, link *string, groupID string) []graph.MemberChange {
	t.Helper()
	var members []graph.MemberChange
	next, err := c.GroupsDelta(testCtx(t), graph.DeltaRequest{Link: *link}, func(p graph.DeltaPage[graph.Group]) error {
		for _, g := range p.Objects {
			if g.ID == groupID {
				members = append(members, g.Members...)
			}
		}
		return nil
	})
	require.NoError(t, err)
	*link = next
	return members
}

func firstUsers(t testing.TB, c *graph.Client, n int) map[string]graph.User {
	t.Helper()
	out := map[string]graph.User{}
	err := c.ListUsers(context.Background(), graph.Query{Top: n}, func(u graph.User) error {
		out[u.ID] = u
		if len(out) == n {
			return graph.Stop
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, out, n)
	return out
}
