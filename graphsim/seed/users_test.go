package seed_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/seed"
)

const invariantUsers = 20_000

var bigTenant = seed.Generate(seed.Spec{TenantID: "tid", Domain: "contoso.com", Users: invariantUsers, Groups: 1000, Seed: 2024})

func TestUsersUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]map[string]bool{"id": {}, "upn": {}, "nick": {}, "mail": {}, "employeeId": {}}
	add := func(kind, v string) {
		if v == "" {
			return
		}
		k := strings.ToLower(v)
		require.False(t, seen[kind][k], "duplicate %s %q", kind, v)
		seen[kind][k] = true
	}
	for _, u := range bigTenant.Users {
		require.Regexp(t, guidRE, u.ID)
		add("id", u.ID)
		add("upn", u.UserPrincipalName)
		add("nick", u.MailNickname)
		add("mail", u.Mail)
		add("employeeId", u.EmployeeID)
	}
	for _, g := range bigTenant.Groups {
		add("id", g.ID)
	}
}

func TestUsersManagerTree(t *testing.T) {
	t.Parallel()
	index := make(map[string]int, len(bigTenant.Users))
	for i, u := range bigTenant.Users {
		index[u.ID] = i
	}
	root := bigTenant.Users[0]
	require.Empty(t, root.ManagerID)
	require.Equal(t, "Chief Executive Officer", root.JobTitle)
	reports := map[string]int{}
	for i, u := range bigTenant.Users {
		if i == 0 {
			continue
		}
		if u.UserType == "Guest" {
			require.Empty(t, u.ManagerID, "guests have no manager")
			continue
		}
		m, ok := index[u.ManagerID]
		require.True(t, ok, "user %d has manager %q outside the tenant", i, u.ManagerID)
		require.Equal(t, "Member", bigTenant.Users[m].UserType)
		reports[u.ManagerID]++
		// Walk to the root: acyclic and connected.
		steps := 0
		for j := i; j != 0; j = index[bigTenant.Users[j].ManagerID] {
			steps++
			require.Less(t, steps, 64, "manager chain from user %d does not reach the root", i)
		}
	}
	require.Greater(t, len(reports), invariantUsers/10, "managers are spread out")
	for id, n := range reports {
		require.LessOrEqual(t, n, 60, "span of control of %s", id)
	}
}

func TestUsersFractions(t *testing.T) {
	t.Parallel()
	var disabled, noMail, guests, withMobile, contractors int
	for _, u := range bigTenant.Users {
		if !u.AccountEnabled {
			disabled++
		}
		if u.Mail == "" {
			noMail++
			require.Empty(t, u.ProxyAddresses)
			require.NotEmpty(t, u.MailNickname)
		}
		if u.UserType == "Guest" {
			guests++
		}
		if u.MobilePhone != "" {
			withMobile++
		}
		if u.EmployeeType == "Contractor" {
			contractors++
		}
	}
	tests := []struct {
		name      string
		got       int
		want, tol float64
	}{
		{"disabled", disabled, 0.02, 0.005},
		{"no mail", noMail, 0.03, 0.006},
		{"guests", guests, 0.01, 0.001},
		{"mobile", withMobile, 0.7 * 0.99, 0.02},
		{"contractors", contractors, 0.12 * 0.99, 0.01},
	}
	for _, tc := range tests {
		require.InDelta(t, tc.want, float64(tc.got)/invariantUsers, tc.tol, tc.name)
	}
}

func TestUsersRealistic(t *testing.T) {
	t.Parallel()
	names := map[string]int{}
	var diacritics, capitalMail int
	places := map[string]string{} // city → country|usageLocation
	for _, u := range bigTenant.Users {
		names[u.DisplayName]++
		require.NotEmpty(t, u.DisplayName)
		require.Contains(t, u.DisplayName, u.GivenName)
		require.Contains(t, u.DisplayName, u.Surname)
		for _, r := range u.UserPrincipalName {
			require.Less(t, r, rune(128), "UPN %q must be ASCII", u.UserPrincipalName)
		}
		if strings.ContainsFunc(u.DisplayName, func(r rune) bool { return r > 127 }) {
			diacritics++
		}
		if u.Mail != "" && u.Mail != u.UserPrincipalName {
			if u.UserType == "Member" {
				require.True(t, strings.EqualFold(u.Mail, u.UserPrincipalName), "member mail differs from UPN only in case")
				capitalMail++
			}
		}
		if u.UserType == "Guest" {
			require.Contains(t, u.UserPrincipalName, "#EXT#@contoso.onmicrosoft.com")
			require.Equal(t, []string{u.Mail}, u.OtherMails)
			require.Equal(t, strings.ReplaceAll(u.Mail, "@", "_")+"#EXT#", u.MailNickname)
			continue
		}
		require.NotEmpty(t, u.Department)
		require.NotEmpty(t, u.JobTitle)
		require.NotEmpty(t, u.City)
		require.Len(t, u.UsageLocation, 2)
		place := u.Country + "|" + u.UsageLocation
		if prev, ok := places[u.City]; ok {
			require.Equal(t, prev, place, "city %s in two countries", u.City)
		}
		places[u.City] = place
		if u.Mail != "" {
			require.Equal(t, "SMTP:"+u.Mail, u.ProxyAddresses[0])
		}
	}
	dups := 0
	for _, n := range names {
		if n > 1 {
			dups++
		}
	}
	require.Greater(t, dups, 100, "real tenants have duplicate display names")
	require.Greater(t, diacritics, invariantUsers/5)
	require.Greater(t, capitalMail, invariantUsers/4)

	// Aliases are the names with diacritics stripped.
	for _, u := range bigTenant.Users {
		if u.GivenName == "Søren" && u.Surname == "Jørgensen" && u.UserType == "Member" {
			require.True(t, strings.HasPrefix(u.UserPrincipalName, "soren.jorgensen"), u.UserPrincipalName)
			return
		}
	}
	t.Fatal("expected a Søren Jørgensen in a 20k tenant")
}

func TestUsersSlicesAreCapped(t *testing.T) {
	t.Parallel()
	tn := seed.Generate(seed.Spec{Users: 10, FractionNoMail: -1, Seed: 1})
	a, b := &tn.Users[1], &tn.Users[2]
	before := b.ProxyAddresses[0]
	a.ProxyAddresses = append(a.ProxyAddresses, "smtp:extra@contoso.com")
	require.Equal(t, before, b.ProxyAddresses[0], "appending to one user must not clobber the next")
}
