package scope_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

func TestAssignments(t *testing.T) {
	t.Parallel()
	a := scope.NewAssignments([]string{"U1"}, []string{"g1", "G-Sales"})
	cases := []struct {
		name   string
		id     string
		groups []string
		want   scope.Entitlement
	}{
		{"direct, case-insensitive", "u1", nil, scope.Entitlement{Assigned: true, Via: "direct"}},
		{"direct member of assigned group", "u2", []string{"x", "g-sales"}, scope.Entitlement{Assigned: true, Via: "g-sales"}},
		{"not assigned", "u3", []string{"x"}, scope.Entitlement{}},
		// The reader passes direct memberOf only: a user in a group nested
		// inside g1 arrives with the nested group's id, which is not assigned.
		{"nested group is not expanded", "u4", []string{"nested-in-g1"}, scope.Entitlement{}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, a.User(c.id, c.groups), c.name)
	}
	require.True(t, a.Group("G1").Assigned)
	require.False(t, a.Group("u1").Assigned)
	var none *scope.Assignments
	require.False(t, none.User("u1", nil).Assigned)
	require.False(t, none.Group("g1").Assigned)
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]scope.Mode{
		"": scope.AssignedOnly, "Sync only assigned users and groups": scope.AssignedOnly,
		"AllUsers": scope.AllUsers, "Sync all users": scope.AllUsers,
	} {
		got, err := scope.ParseMode(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := scope.ParseMode("some")
	require.Error(t, err)
}

func TestClassifyGroup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		attrs     map[string]any
		kind      scope.GroupKind
		dynamic   bool
		supported bool
	}{
		{"security", map[string]any{"securityEnabled": true, "mailEnabled": false}, scope.SecurityGroup, false, true},
		{"dynamic security", map[string]any{"securityEnabled": true, "groupTypes": []string{"DynamicMembership"}}, scope.SecurityGroup, true, true},
		{"m365", map[string]any{"mailEnabled": true, "securityEnabled": false, "groupTypes": []any{"Unified"}}, scope.Microsoft365Group, false, true},
		{"mail-enabled security", map[string]any{"mailEnabled": true, "securityEnabled": true}, scope.MailEnabledSecurityGroup, false, false},
		{"distribution", map[string]any{"mailEnabled": true, "securityEnabled": false}, scope.DistributionGroup, false, false},
	}
	for _, c := range cases {
		g := scope.ClassifyGroup(rules.NewAttrs(c.attrs))
		require.Equal(t, c.kind, g.Kind, c.name)
		require.Equal(t, c.dynamic, g.Dynamic, c.name)
		require.Equal(t, c.supported, g.Supported(), c.name)
	}
}
