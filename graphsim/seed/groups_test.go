package seed_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGroupsKindsAndShape(t *testing.T) {
	t.Parallel()
	counts := map[string]int{}
	for _, g := range bigTenant.Groups {
		require.Regexp(t, guidRE, g.ID)
		require.NotEmpty(t, g.DisplayName)
		require.NotEmpty(t, g.MailNickname)
		require.NotContains(t, g.MailNickname, " ")
		switch {
		case g.IsDynamic():
			counts["dynamic"]++
			require.NotEmpty(t, g.MembershipRule)
			require.Equal(t, "On", g.MembershipRuleProcessingState)
		case g.IsUnified():
			counts["unified"]++
			require.True(t, g.MailEnabled)
			require.Contains(t, []string{"Public", "Private"}, g.Visibility)
		case g.MailEnabled && g.SecurityEnabled:
			counts["mail-enabled security"]++
		case g.MailEnabled:
			counts["distribution"]++
		default:
			counts["security"]++
			require.True(t, g.SecurityEnabled)
			require.Empty(t, g.GroupTypes)
			require.Empty(t, g.Mail)
			require.Empty(t, g.Visibility)
		}
		if g.MailEnabled {
			require.Equal(t, g.MailNickname+"@contoso.com", g.Mail)
			require.Equal(t, []string{"SMTP:" + g.Mail}, g.ProxyAddresses)
		} else {
			require.Empty(t, g.Mail)
		}
	}
	n := float64(len(bigTenant.Groups))
	require.InDelta(t, 0.70, float64(counts["security"])/n, 0.05)
	require.InDelta(t, 0.14, float64(counts["unified"])/n, 0.04)
	for _, k := range []string{"dynamic", "mail-enabled security", "distribution"} {
		require.Positive(t, counts[k], k)
	}
}

func TestGroupsMembership(t *testing.T) {
	t.Parallel()
	users := map[string]int{}
	for i, u := range bigTenant.Users {
		users[u.ID] = i
	}
	groups := map[string]int{}
	for i, g := range bigTenant.Groups {
		groups[g.ID] = i
	}
	var small, large, nested int
	for i, g := range bigTenant.Groups {
		seen := map[string]bool{}
		for _, m := range g.MemberIDs {
			require.False(t, seen[m], "group %q lists %s twice", g.DisplayName, m)
			seen[m] = true
			if _, ok := users[m]; ok {
				continue
			}
			j, ok := groups[m]
			require.True(t, ok, "member %s of %q is neither user nor group", m, g.DisplayName)
			require.Less(t, j, i, "nesting points to earlier groups only, so it is acyclic")
			nested++
			require.False(t, g.MailEnabled || g.IsDynamic(), "only assigned security groups nest")
		}
		for _, o := range g.OwnerIDs {
			require.Contains(t, users, o)
		}
		switch n := len(g.MemberIDs); {
		case n <= 25:
			small++
		case n >= 1000:
			large++
		}
		if strings.Contains(g.MembershipRule, "user.department") {
			for _, m := range g.MemberIDs {
				u := bigTenant.Users[users[m]]
				require.Contains(t, g.MembershipRule, `"`+u.Department+`"`)
				require.Contains(t, g.MembershipRule, `"`+u.Country+`"`)
			}
		}
		if g.MembershipRule == `(user.userType -eq "Guest")` {
			for _, m := range g.MemberIDs {
				require.Equal(t, "Guest", bigTenant.Users[users[m]].UserType)
			}
		}
	}
	require.Greater(t, small, len(bigTenant.Groups)/2, "most groups are small")
	require.Positive(t, large, "a few groups have thousands of members")
	require.Positive(t, nested, "some groups are nested")
}
