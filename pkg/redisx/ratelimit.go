package redisx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
//
// The budget adapts (Adaptive): a 429 means the tenant accepts less than
// the configured limit (another app shares it, Graph lowered it), so
// Backoff also lowers the rate every writer of the fleet uses, and the
// rate climbs back slowly while no 429 comes. Without it a fleet whose
// limit is above the tenant's discovers the tenant's budget by colliding
// with it again after every pause.
type Limiter struct {
	rdb      redis.UniversalClient
	gcra     *redis_rate.Limiter
	limits   func(tenant string) redis_rate.Limit
	adaptive Adaptive
	now      func() time.Time
}

// Adaptive tunes how the shared rate follows the tenant's 429s: on a 429
// the rate is multiplied by Decrease (429s within Hold of the last change
// count once: one collision answers every request in flight), and each
// Interval without a decrease it grows by Step of the configured rate, up
// to that rate, never under Floor of it. The state is per tenant in Redis
// (shared by the fleet) and expires after an idle hour.
type Adaptive struct {
	Off      bool
	Decrease float64
	Hold     time.Duration
	Step     float64
	Interval time.Duration
	Floor    float64
}

// DefaultAdaptive takes 30% off the rate on a 429 and gives back 5% of
// the configured rate every 5 s. Halving undershot: against a tenant at
// 1,800 writes/min and writers configured for 6,000 the fleet averaged
// under half the tenant's budget.
var DefaultAdaptive = Adaptive{Decrease: 0.7, Hold: 2 * time.Second, Step: 0.05, Interval: 5 * time.Second, Floor: 0.02}

var _ RateLimiter = (*Limiter)(nil)

// NewLimiter returns the shared limiter. limits picks the budget of a
// tenant (nil: DefaultWriteLimit for all); every writer of the fleet must
// use the same function, since the budget state lives in Redis but the
// limit is passed with each call.
func NewLimiter(rdb redis.UniversalClient, limits func(tenant string) redis_rate.Limit) *Limiter {
	if limits == nil {
		limits = func(string) redis_rate.Limit { return DefaultWriteLimit }
	}
	return &Limiter{rdb: rdb, gcra: redis_rate.NewLimiter(rdb), limits: limits, adaptive: DefaultAdaptive, now: time.Now}
}

// WithAdaptive replaces the adaptation of the shared rate (Off: the
// configured limit always); every writer of the fleet must use the same.
func (l *Limiter) WithAdaptive(a Adaptive) *Limiter {
	l.adaptive = a
	return l
}

// lowerScript multiplies the adaptive rate by ARGV[2] unless it changed
// within ARGV[4] ms; ARGV[1] configured rate, ARGV[3] floor rate, ARGV[5]
// now ms, ARGV[6] TTL ms. KEYS[1] adaptive state (HASH r, t).
var lowerScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'r', 't')
local r = tonumber(s[1]) or tonumber(ARGV[1])
local t = tonumber(s[2]) or 0
local now = tonumber(ARGV[5])
if now - t < tonumber(ARGV[4]) then
  return tostring(r)
end
r = math.max(tonumber(ARGV[3]), r * tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'r', tostring(r), 't', now)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return tostring(r)
`)

// raiseScript adds ARGV[2] to the adaptive rate, up to ARGV[1], when it
// has not changed for ARGV[3] ms; at the configured rate the state is
// dropped. ARGV[4] now ms, ARGV[5] TTL ms.
var raiseScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'r', 't')
local r = tonumber(s[1])
if not r then
  return ARGV[1]
end
local now = tonumber(ARGV[4])
if now - (tonumber(s[2]) or 0) < tonumber(ARGV[3]) then
  return tostring(r)
end
r = r + tonumber(ARGV[2])
if r >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return ARGV[1]
end
redis.call('HSET', KEYS[1], 'r', tostring(r), 't', now)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return tostring(r)
`)

const adaptiveTTL = time.Hour

// effective is the limit the fleet applies now: the configured one, or
// once lowered the adaptive rate r with no burst beyond the n tokens asked
// (paced: the tenant's own burst is unknown, and bursts of $batch calls
// are what collide with it).
func effective(limit redis_rate.Limit, r float64, n int) redis_rate.Limit {
	if r <= 0 || r >= float64(limit.Rate) {
		return limit
	}
	limit.Rate = max(1, int(r))
	limit.Burst = n
	return limit
}

// Rate returns the tenant's adaptive rate (per the limit's period) and
// whether it is below the configured one.
func (l *Limiter) Rate(ctx context.Context, tenant string) (float64, bool, error) {
	limit := l.limits(tenant)
	v, err := l.rdb.HGet(ctx, adaptKey(tenant), "r").Result()
	if errors.Is(err, redis.Nil) || l.adaptive.Off {
		return float64(limit.Rate), false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read adaptive rate: %w", err)
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false, fmt.Errorf("read adaptive rate %q: %w", v, err)
	}
	return r, r < float64(limit.Rate), nil
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
	pipe := l.rdb.Pipeline()
	pttl := pipe.PTTL(ctx, pauseKey(tenant))
	var state *redis.SliceCmd
	if !l.adaptive.Off {
		state = pipe.HMGet(ctx, adaptKey(tenant), "r", "t")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read tenant pause: %w", err)
	}
	pause, err := pttl.Result()
	if err != nil {
		return 0, fmt.Errorf("read tenant pause: %w", err)
	}
	if pause > 0 {
		return pause, nil
	}
	if state != nil {
		if limit, err = l.adapt(ctx, tenant, limit, state.Val(), n); err != nil {
			return 0, err
		}
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
	if a := l.adaptive; !a.Off {
		rate := float64(l.limits(tenant).Rate)
		err := lowerScript.Run(ctx, l.rdb, []string{adaptKey(tenant)}, rate, a.Decrease, max(1, rate*a.Floor),
			a.Hold.Milliseconds(), l.now().UnixMilli(), adaptiveTTL.Milliseconds()).Err()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("lower tenant write rate: %w", err)
		}
	}
	return nil
}

// adapt applies the adaptive state (HMGET r, t) to limit, raising the
// rate first when an Interval passed without a decrease.
func (l *Limiter) adapt(ctx context.Context, tenant string, limit redis_rate.Limit, state []any, n int) (redis_rate.Limit, error) {
	rs, _ := state[0].(string)
	if rs == "" {
		return limit, nil
	}
	r, err := strconv.ParseFloat(rs, 64)
	if err != nil {
		return limit, fmt.Errorf("read adaptive rate %q: %w", rs, err)
	}
	ts, _ := state[1].(string)
	t, _ := strconv.ParseInt(ts, 10, 64)
	a := l.adaptive
	if now := l.now().UnixMilli(); now-t >= a.Interval.Milliseconds() {
		v, err := raiseScript.Run(ctx, l.rdb, []string{adaptKey(tenant)}, limit.Rate, float64(limit.Rate)*a.Step,
			a.Interval.Milliseconds(), now, adaptiveTTL.Milliseconds()).Text()
		if err != nil {
			return limit, fmt.Errorf("raise tenant write rate: %w", err)
		}
		if r, err = strconv.ParseFloat(v, 64); err != nil {
			return limit, fmt.Errorf("raise tenant write rate: %q: %w", v, err)
		}
	}
	return effective(limit, r, n), nil
}
