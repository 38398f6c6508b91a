package redisx_test

import (
	"context"
	"testing"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/redisx/storetest"
)

// redisHarness runs one AOF redis-server per test; wrap decorates each
// replica's stores (nil: the bare Redis stores). The limiters adapt as the
// writers' do (DefaultAdaptive), one in slow start and one not.
func redisHarness(wrap func(storetest.Stores) storetest.Stores) storetest.Factory {
	limit := func(string) redis_rate.Limit { return storetest.Limit }
	steady, slow := redisx.DefaultAdaptive, redisx.DefaultAdaptive
	steady.SlowStart, slow.SlowStart = 0, storetest.SlowStart
	return func(t *testing.T) storetest.Harness {
		srv := redistest.Start(t, redistest.Options{AppendOnly: true})
		return storetest.Harness{
			New: func(t *testing.T) storetest.Stores {
				c := srv.Client(t)
				s := storetest.Stores{
					Watermarks:   redisx.NewWatermarks(c),
					Connectors:   redisx.NewConnectors(c),
					Escrows:      redisx.NewEscrows(c),
					Quarantines:  redisx.NewQuarantines(c, storetest.Policy),
					Leases:       redisx.NewLeases(c),
					Limiter:      redisx.NewLimiter(c, limit).WithAdaptive(steady),
					SlowStarting: redisx.NewLimiter(c, limit).WithAdaptive(slow),
				}
				if wrap != nil {
					s = wrap(s)
				}
				return s
			},
			Restart:      func(t *testing.T) { srv.Restart(t) },
			ExpireLeases: func(t *testing.T) { expireLocks(t, srv.Client(t)) },
		}
	}
}

// expireLocks deletes every lock key, which is what a TTL running out while
// the holder stalls looks like from Redis.
func expireLocks(t *testing.T, c *redis.Client) {
	ctx := context.Background()
	keys, err := c.Keys(ctx, "xtsync:*:lock").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	require.NoError(t, c.Del(ctx, keys...).Err())
}

func TestRedisStoresConform(t *testing.T) {
	t.Parallel()
	storetest.RunAll(t, redisHarness(nil))
}
