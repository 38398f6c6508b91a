package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// TestListUserMemberIDs leaves nested groups out, unlike ListMemberIDs.
func TestListUserMemberIDs(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(5))
	ctx := testCtx(t)
	newGroup := func(name string) graph.Group {
		g, err := s.client.CreateGroup(ctx, graph.Attributes{
			"displayName": name, "mailNickname": name, "securityEnabled": true, "mailEnabled": false,
		})
		require.NoError(t, err)
		return g
	}
	g, nested := newGroup("outer"), newGroup("nested")
	var users []string
	for id := range firstUsers(t, s.client, 3) {
		users = append(users, id)
		require.NoError(t, s.client.AddMember(ctx, g.ID, id))
	}
	require.NoError(t, s.client.AddMember(ctx, g.ID, nested.ID))

	all, err := s.client.ListMemberIDs(ctx, g.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, append(append([]string(nil), users...), nested.ID), all)
	only, err := s.client.ListUserMemberIDs(ctx, g.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, users, only)

	empty, err := s.client.ListUserMemberIDs(ctx, nested.ID)
	require.NoError(t, err)
	require.NotNil(t, empty, "an empty group is an empty list, not nil")
	require.Empty(t, empty)
}

// TestListUserMemberIDsPages: a group larger than one page (Graph's $top
// for members is at most 999) is listed whole, each member once.
func TestListUserMemberIDsPages(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(2100))
	ctx := testCtx(t)
	ten := s.srv.Tenants()[0]
	g, err := ten.AddGroup(graphsim.Group{DisplayName: "all", MailNickname: "all", SecurityEnabled: true})
	require.NoError(t, err)
	want := ten.UserIDs()
	for _, id := range want {
		require.NoError(t, ten.AddMember(g.ID, id))
	}
	got, err := s.client.ListUserMemberIDs(ctx, g.ID)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	require.ElementsMatch(t, want, got)
}
