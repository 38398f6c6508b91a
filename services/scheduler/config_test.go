package scheduler_test

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/scheduler"
)

func TestConfig(t *testing.T) {
	t.Parallel()
	var c scheduler.Config
	f := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags("scheduler.", f)
	require.NoError(t, f.Parse([]string{"-scheduler.tick=2s"}))
	require.Equal(t, 2*time.Second, c.Tick)
	require.Equal(t, scheduler.DefaultConfig().LeaderTTL, c.LeaderTTL)
	require.NoError(t, c.Validate())

	err := scheduler.Config{}.Validate()
	for _, frag := range []string{"tick", "leader ttl", "cycle timeout", "audit max len", "force-deletes ttl"} {
		require.ErrorContains(t, err, frag)
	}
	_, err = scheduler.New(scheduler.DefaultConfig(), scheduler.Deps{})
	require.ErrorContains(t, err, "required")
}
