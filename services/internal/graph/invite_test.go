package graph_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestInviteB2BUser(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)

	tests := []struct {
		name     string
		inv      graph.Invitation
		wantType string
	}{
		{"guest", graph.Invitation{Email: "grace@source.example", DisplayName: "Grace Hopper"}, "Guest"},
		{"member", graph.Invitation{Email: "alan@source.example", DisplayName: "Alan Turing", UserType: "Member"}, "Member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := s.client.Invite(ctx, tt.inv)
			require.NoError(t, err)
			require.NotEmpty(t, inv.UserID)
			require.NotEmpty(t, inv.InvitationID)

			u, err := s.client.GetUser(ctx, inv.UserID, "id", "userPrincipalName", "userType", "externalUserState", "mail", "displayName")
			require.NoError(t, err)
			// B2B UPN: mail with @ turned into _, then #EXT#@ the home domain.
			local := strings.ReplaceAll(tt.inv.Email, "@", "_")
			require.Equal(t, local+"#EXT#@"+s.tenant.Domain, u.UserPrincipalName)
			require.Equal(t, tt.wantType, u.UserType)
			require.Equal(t, tt.inv.Email, u.Mail)
			require.Equal(t, tt.inv.DisplayName, u.DisplayName)
			require.Contains(t, []string{"PendingAcceptance", "Accepted"}, u.ExternalUserState)

			// The writer finds the user again by mail, as matching does.
			found, err := s.client.FindUsers(ctx, graph.Query{Filter: "mail eq '" + tt.inv.Email + "'", Select: []string{"id"}})
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, inv.UserID, found[0].ID)
		})
	}

	_, err := s.client.Invite(ctx, graph.Invitation{Email: "not-an-email"})
	requireGraphError(t, err, http.StatusBadRequest, "")
}

func TestDeleteRestorePermanentlyDelete(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)

	inv, err := s.client.Invite(ctx, graph.Invitation{Email: "linus@source.example", DisplayName: "Linus"})
	require.NoError(t, err)
	id := inv.UserID

	require.NoError(t, s.client.DeleteUser(ctx, id))
	deleted := deletedUserIDs(t, s.client)
	require.Contains(t, deleted, id)

	attrs, err := s.client.Restore(ctx, id)
	require.NoError(t, err)
	require.Equal(t, id, attrs["id"])
	u, err := s.client.GetUser(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "Linus", u.DisplayName)
	require.NotContains(t, deletedUserIDs(t, s.client), id)

	// Restoring a live object fails: it is not in deletedItems.
	_, err = s.client.Restore(ctx, id)
	requireGraphError(t, err, http.StatusNotFound, "")

	require.NoError(t, s.client.DeleteUser(ctx, id))
	require.NoError(t, s.client.PermanentlyDelete(ctx, id))
	require.NotContains(t, deletedUserIDs(t, s.client), id)
	_, err = s.client.Restore(ctx, id)
	require.True(t, graph.IsNotFound(err), "%v", err)
	_, err = s.client.GetUser(ctx, id)
	require.True(t, graph.IsNotFound(err), "%v", err)
}

func deletedUserIDs(t *testing.T, c *graph.Client) []string {
	t.Helper()
	var ids []string
	// Like Graph, the default user property set lacks deletedDateTime.
	require.NoError(t, c.ListDeletedUsers(testCtx(t), graph.Query{Select: []string{"id", "deletedDateTime"}}, func(u graph.User) error {
		require.NotNil(t, u.DeletedDateTime)
		ids = append(ids, u.ID)
		return nil
	}))
	return ids
}
