package app_test

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/app"
)

// TestRedisProcessKeepsDataAcrossRestarts: the all-in-one's redis-server
// child persists with its append-only file, so a restart of the process
// keeps watermarks and the connector data store.
func TestRedisProcessKeepsDataAcrossRestarts(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	p, err := app.StartRedis(ctx, "redis-server", dir)
	require.NoError(t, err)
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	require.NoError(t, c.Set(ctx, "xtsync:test", "kept", 0).Err())
	_ = c.Close()
	p.Stop()
	p.Stop() // idempotent

	p, err = app.StartRedis(ctx, "redis-server", dir)
	require.NoError(t, err)
	defer p.Stop()
	c = redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	v, err := c.Get(ctx, "xtsync:test").Result()
	require.NoError(t, err)
	require.Equal(t, "kept", v)
}

func TestStartRedisWithoutExecutable(t *testing.T) {
	t.Parallel()
	_, err := app.StartRedis(context.Background(), "no-such-redis-server", t.TempDir())
	require.ErrorContains(t, err, "-redis.addr")
}
