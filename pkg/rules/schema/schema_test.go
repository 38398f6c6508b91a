package schema_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/schema"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		obj      *schema.Object
		name     string
		ok       bool
		graph    string
		writable bool
	}{
		{schema.TargetUser, "displayName", true, "displayName", true},
		{schema.TargetUser, "DISPLAYNAME", true, "displayName", true},
		{schema.TargetUser, "mobile", true, "mobilePhone", true},
		{schema.TargetUser, "telephoneNumber", true, "businessPhones", true},
		{schema.TargetUser, "extensionAttribute15", true, "onPremisesExtensionAttributes/extensionAttribute15", true},
		{schema.TargetUser, "extension_0123456789abcdef0123456789abcdef_costCenter", true, "extension_0123456789abcdef0123456789abcdef_costCenter", true},
		{schema.TargetUser, "extension_xyz_costCenter", false, "", false},
		{schema.TargetUser, "proxyAddresses", false, "", false},
		{schema.TargetUser, "objectId", false, "", false},
		{schema.SourceUser, "objectId", true, "id", false},
		{schema.SourceUser, "alternativeSecurityIds", false, "", false},
		{schema.TargetGroup, "securityEnabled", true, "securityEnabled", true},
		{schema.TargetGroup, "groupTypes", false, "", false},
		{schema.SourceGroup, "groupTypes", true, "groupTypes", false},
	}
	for _, c := range cases {
		a, ok := c.obj.Lookup(c.name)
		require.Equal(t, c.ok, ok, c.name)
		if ok {
			require.Equal(t, c.graph, a.Graph, c.name)
			require.Equal(t, c.writable, a.Writable, c.name)
		}
	}
	require.Same(t, schema.TargetUser, schema.Target("user"))
	require.Same(t, schema.SourceGroup, schema.Source("Group"))
	require.Nil(t, schema.Target("device"))
	require.True(t, schema.SourceUser.Has("netId"))
	require.Equal(t, "Reference", schema.Reference.String())
	require.NotEmpty(t, schema.TargetUser.Attributes())
}
