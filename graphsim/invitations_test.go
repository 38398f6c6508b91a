package graphsim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInvitations(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	body := map[string]any{"invitedUserEmailAddress": "jane.doe@fabrikam.example", "inviteRedirectUrl": "https://myapps.microsoft.com",
		"sendInvitationMessage": false, "invitedUserDisplayName": "Jane Doe"}
	r := s.do("POST", "/invitations", body)
	require.Equal(t, 201, r.status, "%s", r.raw)
	require.Equal(t, s.srv.GraphURL()+"/$metadata#invitations/$entity", r.str("@odata.context"))
	require.Equal(t, "PendingAcceptance", r.str("status"))
	require.Equal(t, "Guest", r.str("invitedUserType"))
	require.Equal(t, "Jane Doe", r.str("invitedUserDisplayName"))
	require.Equal(t, false, r.body["sendInvitationMessage"])
	require.NotEmpty(t, r.str("inviteRedeemUrl"))
	uid := r.body["invitedUser"].(map[string]any)["id"].(string)
	require.NotEqual(t, uid, r.str("id"), "the invitation has its own id")

	u, ok := s.ten.User(uid)
	require.True(t, ok)
	require.Equal(t, "jane.doe_fabrikam.example#EXT#@"+s.ten.Domain(), u.UserPrincipalName)
	require.Equal(t, "Guest", u.UserType)
	require.Equal(t, "Invitation", u.CreationType)
	require.Equal(t, "PendingAcceptance", u.ExternalUserState)
	require.Equal(t, "jane.doe@fabrikam.example", u.Mail)

	// Re-inviting the same address returns the same user.
	r = s.do("POST", "/invitations", body)
	require.Equal(t, 201, r.status)
	require.Equal(t, uid, r.body["invitedUser"].(map[string]any)["id"])
	require.Equal(t, 1, s.ten.UserCount())

	require.NoError(t, s.ten.RedeemInvitation(uid))
	r = s.do("POST", "/invitations", body)
	require.Equal(t, "Completed", r.str("status"))

	r = s.do("POST", "/invitations", map[string]any{"invitedUserEmailAddress": "m@x.example", "inviteRedirectUrl": "https://a", "invitedUserType": "Member"})
	require.Equal(t, 201, r.status)
	require.Equal(t, "Member", r.str("invitedUserType"))

	for name, bad := range map[string]map[string]any{
		"missing email":    {"inviteRedirectUrl": "https://a"},
		"missing redirect": {"invitedUserEmailAddress": "a@b.example"},
		"bad email":        {"invitedUserEmailAddress": "not an email", "inviteRedirectUrl": "https://a"},
		"unknown prop":     {"invitedUserEmailAddress": "a@b.example", "inviteRedirectUrl": "https://a", "foo": 1},
		"bad type":         {"invitedUserEmailAddress": "a@b.example", "inviteRedirectUrl": "https://a", "invitedUserType": "Admin"},
	} {
		r := s.do("POST", "/invitations", bad)
		require.Equal(t, 400, r.status, name)
		require.Equal(t, "BadRequest", r.errCode(), name)
	}
}
