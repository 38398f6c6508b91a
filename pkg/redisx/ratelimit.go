package redisx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Graph's documented write limit for one app in one tenant.
const graphWritesPerMinute = 2000

// DefaultWriteLimit is Graph's per-app per-tenant write budget.
var DefaultWriteLimit = redis_rate.Limit{Rate: graphWritesPerMinute, Burst: 200, Period: time.Minute}

// backoffScript extends the tenant's pause to at least ARGV[1] ms, never
// shortens it: concurrent 429s with different Retry-After values keep the
// longest. KEYS[1] pause key.
var backoffScript = redis.NewScript(`
local want = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < want then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', want)
end
return 1
`)

// Limiter is the Redis RateLimiter: a GCRA budget per target tenant
// (redis_rate) plus a pause key set from Retry-After. The pause is read
// before the budget in a separate round trip, so a grant can slip in just
// as a pause starts; Graph's 429 handling in the writer covers that window.
type Limiter struct {
	rdb    redis.UniversalClient
	gcra   *redis_rate.Limiter
	limits func(tenant string) redis_rate.Limit
}

var _ RateLimiter = (*Limiter)(nil)

// NewLimiter returns the shared limiter. limits picks the budget of a
// tenant (nil: DefaultWriteLimit for all); every writer of the fleet must
// use the same function, since the budget state lives in Redis but the
// limit is passed with each call.
func NewLimiter(rdb redis.UniversalClient, limits func(tenant string) redis_rate.Limit) *Limiter {
	if limits == nil {
		limits = func(string) redis_rate.Limit { return DefaultWriteLimit }
	}
	return &Limiter{rdb: rdb, gcra: redis_rate.NewLimiter(rdb), limits: limits}
}

// Reserve implements RateLimiter.
func (l *Limiter) Reserve(ctx context.Context, tenant string, n int) (time.Duration, error) {
	if err := checkID("tenant", tenant); err != nil {
		return 0, err
	}
	limit := l.limits(tenant)
	if n < 1 || n > limit.Burst {
		return 0, fmt.Errorf("%w: %d tokens with burst %d", ErrInvalid, n, limit.Burst)
	}
	pause, err := l.rdb.PTTL(ctx, pauseKey(tenant)).Result()
	if err != nil {
		return 0, fmt.Errorf("read tenant pause: %w", err)
	}
	if pause > 0 {
		return pause, nil
	}
	res, err := l.gcra.AllowN(ctx, rateKey(tenant), limit, n)
	if err != nil {
		return 0, fmt.Errorf("reserve write budget: %w", err)
	}
	if res.Allowed >= n {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// Wait implements RateLimiter.
func (l *Limiter) Wait(ctx context.Context, tenant string, n int) error {
	for {
		d, err := l.Reserve(ctx, tenant, n)
		if err != nil || d == 0 {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for write budget: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Backoff implements RateLimiter.
func (l *Limiter) Backoff(ctx context.Context, tenant string, d time.Duration) error {
	if err := checkID("tenant", tenant); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	resume := time.Now().Add(d).UTC().Format(time.RFC3339Nano)
	err := backoffScript.Run(ctx, l.rdb, []string{pauseKey(tenant)}, max(d.Milliseconds(), 1), resume).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("pause tenant writes: %w", err)
	}
	return nil
}
