package reader_test

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/reader"
)

func TestConfigFlagsAndValidate(t *testing.T) {
	t.Parallel()
	var c reader.Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags("reader.", fs)
	require.NoError(t, fs.Parse([]string{"-reader.shards=8", "-reader.user-select=id, displayName,mail"}))
	require.NoError(t, c.Validate())
	require.Equal(t, 8, c.Shards)
	require.Equal(t, []string{"id", "displayName", "mail"}, c.UserSelect)
	require.Equal(t, reader.DefaultGroupSelect(), c.GroupSelect)
	require.True(t, c.Manager, "managers are synchronized by default")
	require.NoError(t, fs.Parse([]string{"-reader.manager=false"}))
	require.False(t, c.Manager)

	for _, tc := range []struct {
		name   string
		mutate func(*reader.Config)
		want   string
	}{
		{"shards", func(c *reader.Config) { c.Shards = 0 }, "shards"},
		{"page size", func(c *reader.Config) { c.PageSize = 1000 }, "page_size"},
		{"select", func(c *reader.Config) { c.UserSelect = []string{"employeeOrgData/division"} }, "user_select"},
		{"empty select", func(c *reader.Config) { c.GroupSelect = nil }, "group_select"},
		{"batch bytes", func(c *reader.Config) { c.MaxBatchBytes = 10 }, "max_batch_bytes"},
	} {
		c := reader.DefaultConfig()
		tc.mutate(&c)
		require.ErrorContains(t, c.Validate(), tc.want, tc.name)
	}
}

func TestDefaultSelectCoversTheSourceSchema(t *testing.T) {
	t.Parallel()
	sel := reader.DefaultUserSelect()
	for _, p := range []string{"id", "displayName", "userPrincipalName", "accountEnabled", "mail",
		"employeeOrgData", "onPremisesExtensionAttributes", "proxyAddresses", "businessPhones"} {
		require.Contains(t, sel, p)
	}
	require.Contains(t, sel, "manager", "on by default (per configuration where mapped)")
	require.NotContains(t, reader.DefaultGroupSelect(), "members", "added by the reader as members@delta")
}
