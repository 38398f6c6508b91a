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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := writer.DefaultConfig()
			tt.edit(&c)
			require.Error(t, c.Validate())
		})
	}
}
