package graphsim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The properties the reader's default $select names beyond the basics:
// lifecycle, organisation, age and on-premises data, and
// isAssignableToRole, in Graph v1.0's JSON shapes.
func TestUserLifecyclePropsRoundTrip(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 2, Seed: 3})
	const sel = "?$select=ageGroup,consentProvidedForMinor,employeeHireDate,employeeLeaveDateTime,employeeOrgData,onPremisesExtensionAttributes,onPremisesSyncEnabled"
	body := newUserBody(s, "lena")
	body["ageGroup"] = "Adult"
	body["employeeHireDate"] = "2024-03-01T00:00:00Z"
	body["employeeOrgData"] = map[string]any{"division": "Technology", "costCenter": "CC-1001"}
	body["onPremisesExtensionAttributes"] = map[string]any{"extensionAttribute1": "a", "extensionAttribute15": "z"}
	r := s.do("POST", "/users", body)
	require.Equal(t, 201, r.status, "%s", r.raw)
	id := r.str("id")

	r = s.do("GET", "/users/"+id+sel, nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, "Adult", r.body["ageGroup"])
	require.Nil(t, r.body["consentProvidedForMinor"])
	require.Equal(t, "2024-03-01T00:00:00Z", r.body["employeeHireDate"])
	require.Contains(t, r.body, "employeeLeaveDateTime")
	require.Nil(t, r.body["employeeLeaveDateTime"])
	require.Equal(t, map[string]any{"division": "Technology", "costCenter": "CC-1001"}, r.body["employeeOrgData"])
	ext := r.body["onPremisesExtensionAttributes"].(map[string]any)
	require.Len(t, ext, 15, "all fifteen, unset ones null")
	require.Equal(t, "a", ext["extensionAttribute1"])
	require.Equal(t, "z", ext["extensionAttribute15"])
	require.Nil(t, ext["extensionAttribute2"])
	require.Nil(t, r.body["onPremisesSyncEnabled"], "cloud-only")

	// PATCH changes the members it names and keeps the others.
	r = s.do("PATCH", "/users/"+id, map[string]any{
		"employeeOrgData":               map[string]any{"costCenter": "CC-2002"},
		"onPremisesExtensionAttributes": map[string]any{"extensionAttribute1": nil, "extensionAttribute2": "b"},
		"employeeLeaveDateTime":         "2025-12-31T17:00:00+01:00",
		"consentProvidedForMinor":       "NotRequired",
	})
	require.Equal(t, 204, r.status, "%s", r.raw)
	r = s.do("GET", "/users/"+id+sel, nil)
	require.Equal(t, map[string]any{"division": "Technology", "costCenter": "CC-2002"}, r.body["employeeOrgData"])
	ext = r.body["onPremisesExtensionAttributes"].(map[string]any)
	require.Nil(t, ext["extensionAttribute1"])
	require.Equal(t, "b", ext["extensionAttribute2"])
	require.Equal(t, "z", ext["extensionAttribute15"])
	require.Equal(t, "2025-12-31T16:00:00Z", r.body["employeeLeaveDateTime"], "stored in UTC")
	require.Equal(t, "NotRequired", r.body["consentProvidedForMinor"])

	r = s.do("PATCH", "/users/"+id, map[string]any{"employeeOrgData": nil})
	require.Equal(t, 204, r.status, "%s", r.raw)
	r = s.do("GET", "/users/"+id+"?$select=employeeOrgData", nil)
	require.Contains(t, r.body, "employeeOrgData")
	require.Nil(t, r.body["employeeOrgData"])
}

func TestUserNewPropsRejectBadValues(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 1, Seed: 3})
	id := s.createUser("olaf")
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"age group not in the enum", map[string]any{"ageGroup": "Teen"}, "ageGroup"},
		{"consent not in the enum", map[string]any{"consentProvidedForMinor": "Maybe"}, "consentProvidedForMinor"},
		{"hire date not a date", map[string]any{"employeeHireDate": "yesterday"}, "employeeHireDate"},
		{"org data unknown member", map[string]any{"employeeOrgData": map[string]any{"team": "x"}}, "employeeOrgData"},
		{"org data not an object", map[string]any{"employeeOrgData": "Technology"}, "employeeOrgData"},
		{"extension attribute 16", map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute16": "x"}}, "onPremisesExtensionAttributes"},
		{"extension attribute 01", map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute01": "x"}}, "onPremisesExtensionAttributes"},
		{"extension attribute not a string", map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute1": 5}}, "onPremisesExtensionAttributes"},
		{"read-only sync flag", map[string]any{"onPremisesSyncEnabled": true}, "onPremisesSyncEnabled"},
		{"read-only SID", map[string]any{"onPremisesSecurityIdentifier": "S-1-5-21-1"}, "onPremisesSecurityIdentifier"},
		{"read-only sAMAccountName", map[string]any{"onPremisesSamAccountName": "olaf"}, "onPremisesSamAccountName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("PATCH", "/users/"+id, tc.body)
			require.Equal(t, 400, r.status, "%s", r.raw)
			require.Contains(t, r.errMessage(), tc.field)
		})
	}
	u, _ := s.ten.User(id)
	require.Empty(t, u.AgeGroup, "a failed PATCH changes nothing")
	require.Nil(t, u.EmployeeOrgData)
}

// Seeded hybrid users carry what Entra Connect writes; their extension
// attributes are mastered on premises and refused over Graph.
func TestSeededHybridUsers(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 200, Seed: 5})
	var hybrid, cloud string
	for _, id := range s.ten.UserIDs() {
		u, _ := s.ten.User(id)
		switch {
		case u.OnPremisesSyncEnabled != nil && hybrid == "":
			hybrid = id
		case u.OnPremisesSyncEnabled == nil && u.UserType == "Member" && cloud == "":
			cloud = id
		}
	}
	require.NotEmpty(t, hybrid)
	require.NotEmpty(t, cloud)
	r := s.do("GET", "/users/"+hybrid+"?$select=onPremisesSyncEnabled,onPremisesDistinguishedName,onPremisesDomainName,onPremisesSamAccountName,onPremisesSecurityIdentifier,onPremisesUserPrincipalName,onPremisesImmutableId", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, true, r.body["onPremisesSyncEnabled"])
	ad := "corp." + s.ten.Domain()
	require.True(t, strings.HasPrefix(r.str("onPremisesDistinguishedName"), "CN="), "%s", r.raw)
	require.True(t, strings.HasSuffix(r.str("onPremisesDistinguishedName"), ",DC="+strings.ReplaceAll(ad, ".", ",DC=")), "%s", r.raw)
	require.Equal(t, ad, r.str("onPremisesDomainName"))
	require.LessOrEqual(t, len(r.str("onPremisesSamAccountName")), 20)
	require.Regexp(t, `^S-1-5-21-\d+-\d+-\d+-\d+$`, r.str("onPremisesSecurityIdentifier"))
	require.True(t, strings.HasSuffix(r.str("onPremisesUserPrincipalName"), "@"+ad))
	require.NotEmpty(t, r.str("onPremisesImmutableId"))

	r = s.do("PATCH", "/users/"+hybrid, map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute3": "x"}})
	require.Equal(t, 400, r.status, "%s", r.raw)
	r = s.do("PATCH", "/users/"+cloud, map[string]any{"onPremisesExtensionAttributes": map[string]any{"extensionAttribute3": "x"}})
	require.Equal(t, 204, r.status, "%s", r.raw)
}

func TestGroupIsAssignableToRole(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 2, Seed: 3})
	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"security group", map[string]any{"securityEnabled": true, "mailEnabled": false, "isAssignableToRole": true}, 201},
		{"not security enabled", map[string]any{"securityEnabled": false, "mailEnabled": true, "groupTypes": []string{"Unified"}, "isAssignableToRole": true}, 400},
		{"dynamic", map[string]any{"securityEnabled": true, "mailEnabled": false, "groupTypes": []string{"DynamicMembership"},
			"membershipRule": `user.department -eq "IT"`, "membershipRuleProcessingState": "On", "isAssignableToRole": true}, 400},
		{"not a boolean", map[string]any{"securityEnabled": true, "mailEnabled": false, "isAssignableToRole": "yes"}, 400},
		{"false", map[string]any{"securityEnabled": true, "mailEnabled": false, "isAssignableToRole": false}, 201},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["displayName"], tc.body["mailNickname"] = tc.name, "g"+string(rune('a'+i))
			r := s.do("POST", "/groups", tc.body)
			require.Equal(t, tc.status, r.status, "%s", r.raw)
			if r.status != 201 {
				require.Contains(t, r.errMessage(), "isAssignableToRole")
				return
			}
			require.Equal(t, tc.body["isAssignableToRole"], r.body["isAssignableToRole"], "returned by default")
			r = s.do("PATCH", "/groups/"+r.str("id"), map[string]any{"isAssignableToRole": true})
			require.Equal(t, 400, r.status, "set on creation only")
			require.Contains(t, r.errMessage(), "isAssignableToRole")
		})
	}
	id := s.createGroup("plain")
	r := s.do("GET", "/groups/"+id, nil)
	require.Contains(t, r.body, "isAssignableToRole")
	require.Nil(t, r.body["isAssignableToRole"], "null when never set")
}

// The reader asks delta for every property in one $select.
func TestDeltaSelectsNewProps(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 20, Groups: 20, Seed: 9})
	r := s.do("GET", "/users/delta?$select=id,employeeOrgData,onPremisesExtensionAttributes,onPremisesSyncEnabled,employeeHireDate,ageGroup", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	for _, v := range r.values() {
		require.Contains(t, v, "employeeOrgData")
		require.Len(t, v["onPremisesExtensionAttributes"], 15)
	}
	r = s.do("GET", "/groups/delta?$select=displayName,isAssignableToRole,members", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	for _, v := range r.values() {
		require.Contains(t, v, "isAssignableToRole")
	}
}
