package synclog_test

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/synclog"
)

func TestConfigFlagsAndValidate(t *testing.T) {
	t.Parallel()
	var c synclog.Config
	f := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags("synclog.", f)
	require.NoError(t, c.Validate())
	require.NoError(t, f.Parse([]string{"-synclog.quarantine.failure-ratio=0.4", "-synclog.seen-ttl=72h"}))
	require.Equal(t, 0.4, c.Quarantine.FailureRatio)
	require.Equal(t, 72*time.Hour, c.SeenTTL)
	require.NoError(t, c.Validate())

	for name, mut := range map[string]func(*synclog.Config){
		"concurrency": func(c *synclog.Config) { c.Concurrency = 0 },
		"seen ttl":    func(c *synclog.Config) { c.SeenTTL = time.Minute },
		"cycle ttl":   func(c *synclog.Config) { c.CycleTTL = time.Hour },
		"ratio":       func(c *synclog.Config) { c.Quarantine.FailureRatio = 1.5 },
		"min objects": func(c *synclog.Config) { c.Quarantine.MinObjects = 0 },
		"scan limit":  func(c *synclog.Config) { c.API.ScanLimit = 10 },
		"drain":       func(c *synclog.Config) { c.DrainTimeout = 0 },
	} {
		c := synclog.DefaultConfig()
		mut(&c)
		require.Error(t, c.Validate(), name)
	}
	_, err := synclog.New(synclog.DefaultConfig(), synclog.Deps{})
	require.Error(t, err, "dependencies are required")
}
