package seed_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/seed"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	spec := seed.Spec{TenantID: "tid", Domain: "contoso.com", Users: 3000, Groups: 200, Seed: 7}
	a, b := seed.Generate(spec), seed.Generate(spec)
	require.Equal(t, mustJSON(t, a), mustJSON(t, b), "same Spec must give byte-identical output")

	other := spec
	other.Seed = 8
	require.NotEqual(t, a.Users[0].ID, seed.Generate(other).Users[0].ID)

	// Groups draw from their own stream: adding groups leaves users alone.
	fewer := spec
	fewer.Groups = 3
	require.Equal(t, mustJSON(t, a.Users), mustJSON(t, seed.Generate(fewer).Users))
}

func TestGenerateSmallAndEdgeSpecs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  seed.Spec
		users int
	}{
		{"empty", seed.Spec{}, 0},
		{"one user", seed.Spec{Users: 1, Groups: 3}, 1},
		{"two users all guests asked", seed.Spec{Users: 2, Groups: 2, GuestFraction: 1}, 2},
		{"negative counts", seed.Spec{Users: -5, Groups: -1}, 0},
		{"no knobs", seed.Spec{Users: 50, Groups: 10, FractionDisabled: -1, FractionNoMail: -1, GuestFraction: -1, DuplicateNameFraction: -1, NestedGroupFraction: -1}, 50},
		{"tiny groups", seed.Spec{Users: 50, Groups: 30, MembersPerGroupMin: 2, MembersPerGroupMax: 3}, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tn := seed.Generate(tc.spec)
			require.Len(t, tn.Users, tc.users)
			require.Regexp(t, guidRE, tn.TenantID)
			require.Equal(t, "contoso.onmicrosoft.com", tn.InitialDomain)
			if tc.users > 0 {
				require.Equal(t, "Member", tn.Users[0].UserType)
				require.Empty(t, tn.Users[0].ManagerID)
			}
		})
	}

	tn := seed.Generate(tests[4].spec)
	for _, u := range tn.Users {
		require.True(t, u.AccountEnabled)
		require.NotEmpty(t, u.Mail)
		require.Equal(t, "Member", u.UserType)
	}
	for _, g := range seed.Generate(tests[5].spec).Groups {
		if !g.IsDynamic() {
			require.LessOrEqual(t, len(g.MemberIDs), 3+3, g.DisplayName) // nested groups may add up to 3
			require.GreaterOrEqual(t, len(g.MemberIDs), 2, g.DisplayName)
		}
	}
}

func TestGenerateDomainAndCompany(t *testing.T) {
	t.Parallel()
	tn := seed.Generate(seed.Spec{Domain: "Fabrikam.co.uk", Users: 20, Seed: 3})
	require.Equal(t, "fabrikam.co.uk", tn.Domain)
	require.Equal(t, "fabrikam.onmicrosoft.com", tn.InitialDomain)
	require.Equal(t, "Fabrikam", tn.CompanyName)
	for _, u := range tn.Users {
		if u.UserType == "Member" {
			require.True(t, strings.HasSuffix(u.UserPrincipalName, "@fabrikam.co.uk"), u.UserPrincipalName)
		}
	}
}
