package writer_test

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/writer"
)

func TestConfig(t *testing.T) {
	t.Parallel()
	var c writer.Config
	f := flag.NewFlagSet("test", flag.ContinueOnError)
	c.RegisterFlags("writer.", f)
	require.NoError(t, c.Validate(), "defaults are valid")
	require.NoError(t, f.Parse([]string{"-writer.shards=0,3,5", "-writer.batch-size=10", "-writer.writes-per-minute=600", "-writer.write-burst=50"}))
	require.Equal(t, []int{0, 3, 5}, c.Shards)
	require.NoError(t, c.Validate())
	require.Equal(t, 600, c.Limit().Rate)
	require.Equal(t, 12, c.TenantSlots(), "3/4 of the default concurrency 16")
	require.NoError(t, f.Parse([]string{"-writer.concurrency=4", "-writer.per-tenant=4", "-writer.batch-calls=2"}))
	require.NoError(t, c.Validate())
	require.Equal(t, 4, c.TenantSlots())
	c.PerTenant, c.Concurrency = 0, 1
	require.Equal(t, 1, c.TenantSlots(), "never 0")

	tests := []struct {
		name string
		edit func(*writer.Config)
	}{
		{"no shards", func(c *writer.Config) { c.Shards = nil }},
		{"repeated shard", func(c *writer.Config) { c.Shards = []int{1, 1} }},
		{"batch over 20", func(c *writer.Config) { c.BatchSize = 21 }},
		{"burst under batch", func(c *writer.Config) { c.WriteBurst = 5 }},
		{"no budget", func(c *writer.Config) { c.WritesPerMinute = 0 }},
		{"no attempts", func(c *writer.Config) { c.Retry.MaxAttempts = 0 }},
		{"no concurrency", func(c *writer.Config) { c.Concurrency = 0 }},
		{"per tenant over concurrency", func(c *writer.Config) { c.PerTenant = c.Concurrency + 1 }},
		{"negative per tenant", func(c *writer.Config) { c.PerTenant = -1 }},
		{"no batch calls", func(c *writer.Config) { c.BatchCalls = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := writer.DefaultConfig()
			tt.edit(&c)
			require.Error(t, c.Validate())
		})
	}
}
