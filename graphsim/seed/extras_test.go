package seed_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/seed"
)

// The lifecycle, organisation and on-premises properties fill realistic
// shares of the members, and never of the guests.
func TestGenerateUserExtrasShares(t *testing.T) {
	t.Parallel()
	tn := seed.Generate(seed.Spec{Users: 4000, Groups: 300, Seed: 2})
	var members, hire, org, hybrid, ext, age, leave, disabled, disabledLeave int
	for _, u := range tn.Users {
		if u.UserType == "Guest" {
			require.Nil(t, u.OnPremisesSyncEnabled, u.UserPrincipalName)
			require.Nil(t, u.EmployeeHireDate, u.UserPrincipalName)
			require.Empty(t, u.CostCenter, u.UserPrincipalName)
			continue
		}
		members++
		count := func(n *int, ok bool) {
			if ok {
				*n++
			}
		}
		count(&hire, u.EmployeeHireDate != nil)
		count(&org, u.CostCenter != "")
		count(&hybrid, u.OnPremisesSyncEnabled != nil)
		count(&ext, u.ExtensionAttributes != nil)
		count(&age, u.AgeGroup != "")
		count(&leave, u.EmployeeLeaveDateTime != nil)
		count(&disabled, !u.AccountEnabled)
		count(&disabledLeave, !u.AccountEnabled && u.EmployeeLeaveDateTime != nil)
		if u.EmployeeHireDate != nil {
			require.False(t, u.EmployeeHireDate.After(u.CreatedDateTime), "hired before the account existed")
		}
		if u.OnPremisesSyncEnabled != nil {
			require.NotEmpty(t, u.OnPremisesSecurityIdentifier)
			require.NotEmpty(t, u.OnPremisesDistinguishedName)
			require.LessOrEqual(t, len(u.OnPremisesSamAccountName), 20)
		}
	}
	share := func(n int) float64 { return float64(n) / float64(members) }
	tests := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"hire date", share(hire), 0.85, 0.95},
		{"org data", share(org), 0.70, 0.80},
		{"hybrid", share(hybrid), 0.30, 0.40},
		{"extension attributes", share(ext), 0.50, 0.65},
		{"age group", share(age), 0.02, 0.08},
		{"leave date", share(leave), 0.01, 0.06},
	}
	for _, tc := range tests {
		require.True(t, tc.got >= tc.lo && tc.got <= tc.hi, "%s: %.3f not in [%.2f, %.2f]", tc.name, tc.got, tc.lo, tc.hi)
	}
	require.Equal(t, disabled, disabledLeave, "every disabled member has left")

	roles := 0
	for _, g := range tn.Groups {
		if g.IsAssignableToRole != nil {
			roles++
			require.True(t, g.SecurityEnabled && !g.MailEnabled && !g.IsDynamic(), g.DisplayName)
		}
	}
	require.Positive(t, roles)
}
