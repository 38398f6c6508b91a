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
	limits   func(tenant string) redis_rate.Limit
	adaptive Adaptive
	now      func() time.Time
}

// Adaptive tunes how the shared rate follows the tenant's 429s, in the
// spirit of TCP CUBIC: remember where the tenant pushed back, come back
// near it fast, stay just under it, probe above it slowly.
//
// A 429 (those within Hold of the last decrease count once: one collision
// answers every request in flight) makes the rate in use the ceiling and
// lowers the rate: back to the last rate that ran a quiet Interval when
// that is lower (it climbed past the tenant's limit), but not above Margin
// under the new ceiling (a tenant's burst hides a small excess for
// several Intervals, so a rate just under the 429's ran quiet without
// being under the limit); by Near when the 429
// came at such a rate (the limit moved); by Decrease when nothing ran
// quiet since the last decrease (still far above it, e.g. the first 429).
// Each quiet Interval (no 429 at all) the rate closes half the gap to its
// target, Margin under the ceiling; after Plateau intervals there it
// probes above, Probe of the rate, doubling each interval, until a 429
// sets a new ceiling or it is back at the configured rate (the tenant's
// budget grew; a quiet rate above the ceiling forgets it). Never under
// Floor of the configured rate. A step needs the rate to have bound the
// fleet since the last one (a Reserve refused): a rate the writers did not
// use has not run quiet (TCP's congestion window validation), and raising
// it would let a burst of demand find a rate the tenant never accepted. The state is per tenant in Redis (shared
// by the fleet) and expires after an idle hour.
//
// SlowStart > 0 is TCP's slow start: a tenant without state (first use,
// or idle an hour) starts at SlowStart of the configured rate, not with
// its burst, and the rate doubles each two quiet Intervals (a 429 comes
// back a $batch round trip late, seconds on a loaded machine: doubling
// before it overshoots four times) until the first 429
// (which lowers it to the last doubling that ran quiet) or the configured
// rate. The first request is granted at once; the rest are paced. Without
// it a fleet configured above the tenant's budget sends its whole burst
// into the tenant's smaller one before any 429 can lower the rate.
type Adaptive struct {
	Off      bool
	Decrease float64
	Near     float64
	Hold     time.Duration
	Interval time.Duration
	Margin   float64
	Plateau  int
	Probe    float64
	Floor    float64
	// Slack is the burst a lowered rate allows beyond the request, in time
	// at that rate.
	Slack     time.Duration
	SlowStart float64
	// Smooth bounds the writes of one request while the rate is adapted
	// (MaxWrites): what the rate grants in Smooth, at least one.
	Smooth time.Duration
}

// DefaultAdaptive: measured on the storm scenario (writers at 6,000/min,
// a tenant at 1,800/min with a burst of 20), BENCHMARKS.md finding (b).
// Steps of the configured rate (the previous 5% per 5 s) were coarse
// against a tenant at a third of it and forgot the tenant's limit after
// each collision; a longer Hold (3 s) let the first wave run longer (8.8%
// 429s), a shorter one (1 s) did no better. No Slack: a tenant's burst
// can be one $batch (20 writes), so grants ahead of the pace arrive early
// and collide well under the tenant's rate (250 ms of slack collided at
// ~75% of it, which then became the ceiling). SlowStart a half: from a
// quarter the ramp cost a fleet configured at the tenant's real budget 6%
// of an 80 s throttle-bound cycle (94% of 500 writes/s, a half 98%); the
// storm's 429s went from 0.4–0.7% to 1.1% (one run each). Smooth 200 ms
// (6 writes per $batch at 1,800/min) and Plateau 30 (a minute at the
// target before probing): the storm's steady state collided at 65–75% of
// the tenant's rate with full $batch calls under load, and doubling
// probes after 16 s overshot by a third before the tenant's burst ran
// out (finding (b), fourth round).
var DefaultAdaptive = Adaptive{Decrease: 0.5, Near: 0.9, Hold: 2 * time.Second, Interval: 2 * time.Second,
	Margin: 0.05, Plateau: 30, Probe: 0.01, Floor: 0.02, SlowStart: 0.5, Smooth: 200 * time.Millisecond}

var _ RateLimiter = (*Limiter)(nil)

// NewLimiter returns the shared limiter. limits picks the budget of a
// tenant (nil: DefaultWriteLimit for all); every writer of the fleet must
// use the same function, since the budget state lives in Redis but the
// limit is passed with each call.
func NewLimiter(rdb redis.UniversalClient, limits func(tenant string) redis_rate.Limit) *Limiter {
	if limits == nil {
		limits = func(string) redis_rate.Limit { return DefaultWriteLimit }
	}
	return &Limiter{rdb: rdb, limits: limits, adaptive: DefaultAdaptive, now: time.Now}
}

// WithAdaptive replaces the adaptation of the shared rate (Off: the
// configured limit always); every writer of the fleet must use the same.
func (l *Limiter) WithAdaptive(a Adaptive) *Limiter {
	l.adaptive = a
	return l
}

// Adaptive state, KEYS[1] (HASH): r rate in use; hi ceiling (the rate of
// the last 429); lo last rate that ran a quiet Interval; d last decrease,
// q last 429, t last step, w last time the rate bound the fleet (a
// Reserve refused, a 429) (ms); k steps at the target; s 1 in slow start.
// In slow start mode a tenant back at the configured rate keeps r (so the
// next Reserve does not start slow again) until the state expires.

// gcraScript is redis_rate's GCRA (same key and TAT encoding: seconds
// since 2017 by Redis' clock) with reservations up to ahead seconds: it
// returns {1, wait} with the tokens taken, or {0, retry} with nothing
// taken. While adapted (ARGV[6] 1) a grant that has to wait, or a refusal,
// records that the rate bound the fleet (w = ARGV[7] ms) in the adaptive
// state (KEYS[2], never created here). ARGV burst, rate, period s, cost,
// ahead s, adapted, now ms.
var gcraScript = redis.NewScript(`
redis.replicate_commands()
local burst, rate, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ahead = tonumber(ARGV[4]), tonumber(ARGV[5])
local ei = period / rate
local t = redis.call('TIME')
local now = (t[1] - 1483228800) + (t[2] / 1000000)
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
local new_tat = tat + ei * cost
local wait = new_tat - ei * burst - now
if wait > 0 and ARGV[6] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'w', ARGV[7])
end
if wait > ahead then
  return {0, tostring(wait - ahead)}
end
redis.call('SET', KEYS[1], new_tat, 'EX', math.ceil(new_tat - now))
return {1, tostring(math.max(wait, 0))}
`)

// startScript starts a tenant without state slow: r = ARGV[1]. ARGV
// start rate, now ms, TTL ms.
var startScript = redis.NewScript(`
local r = redis.call('HGET', KEYS[1], 'r')
if r then return r end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 's', 1, 't', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return ARGV[1]
`)

// lowerScript records a 429, and lowers the rate unless it did within
// Hold. ARGV configured rate, Decrease, Near, floor rate, Hold ms, now ms,
// TTL ms, Margin.
var lowerScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'r', 'lo', 'd')
local r = tonumber(s[1]) or tonumber(ARGV[1])
local lo, d = tonumber(s[2]), tonumber(s[3]) or 0
local now = tonumber(ARGV[6])
if now - d < tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], 'q', now)
  return tostring(r)
end
local hi = r
if lo and lo < r then
  r = math.min(lo, hi * (1 - tonumber(ARGV[8])))
  if r < lo then lo = nil end
elseif lo then
  r, lo = r * tonumber(ARGV[3]), nil
else
  r = r * tonumber(ARGV[2])
end
r = math.max(tonumber(ARGV[4]), r)
redis.call('HSET', KEYS[1], 'r', tostring(r), 'hi', tostring(hi), 'd', now, 'q', now, 't', now, 'w', now, 'k', 0)
redis.call('HDEL', KEYS[1], 's')
if not lo then redis.call('HDEL', KEYS[1], 'lo') end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return tostring(r)
`)

// raiseScript takes one step after a quiet Interval (no 429, no step): the
// rate ran quiet (lo); in slow start (two Intervals) it doubles, else it closes half the
// gap to the target, or rests there Plateau steps, then probes by Probe *
// 2^n. At the configured rate the state is dropped, or in slow start mode
// (ARGV[8] 1) reduced to r. ARGV configured rate, Interval ms, Margin,
// Plateau, Probe, now ms, TTL ms, slow start mode.
var raiseScript = redis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'r', 'hi', 't', 'q', 'k', 's')
local r = tonumber(s[1])
local limit = tonumber(ARGV[1])
if not r or r >= limit then
  return ARGV[1]
end
local now, interval = tonumber(ARGV[6]), tonumber(ARGV[2])
if s[6] then interval = 2 * interval end
if now - math.max(tonumber(s[3]) or 0, tonumber(s[4]) or 0) < interval then
  return tostring(r)
end
local hi, k, lo = tonumber(s[2]), tonumber(s[5]) or 0, r
if s[6] then
  r = r * 2
elseif hi and lo >= hi then
  hi = nil
  redis.call('HDEL', KEYS[1], 'hi')
end
local target = 0
if hi then target = math.min(limit, math.max(lo, hi * (1 - tonumber(ARGV[3])))) end
if s[6] then
elseif r < target * 0.995 then
  r = r + (target - r) / 2
  if r >= target * 0.995 then r = target end
else
  k = k + 1
  local p = k - tonumber(ARGV[4])
  if not hi then p = math.max(p, 1) end
  if p > 0 then r = r * (1 + tonumber(ARGV[5]) * 2 ^ (p - 1)) end
end
if r >= limit then
  redis.call('DEL', KEYS[1])
  if ARGV[8] == '1' then
    redis.call('HSET', KEYS[1], 'r', ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ARGV[7])
  end
  return ARGV[1]
end
redis.call('HSET', KEYS[1], 'r', tostring(r), 'lo', tostring(lo), 't', now, 'k', k)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return tostring(r)
`)

const adaptiveTTL = time.Hour

// effective is the limit the fleet applies now: the configured one, or
// once lowered the adaptive rate r with little burst beyond the n tokens
// asked: slack tokens, so that the gaps between one writer's grant and the
// next one's request are not lost to the rate. The tenant's own burst is
// unknown, and bursts of $batch calls are what collide with it.
func effective(limit redis_rate.Limit, r float64, n int, slack time.Duration) redis_rate.Limit {
	if r <= 0 || r >= float64(limit.Rate) {
		return limit
	}
	limit.Rate = max(1, int(r))
	limit.Burst = min(max(limit.Burst, n), n+int(r*slack.Seconds()/limit.Period.Seconds()))
	return limit
}

// startRate is where slow start begins: at least one write per period.
func (l *Limiter) startRate(limit redis_rate.Limit) string {
	return strconv.FormatFloat(max(1, float64(limit.Rate)*l.adaptive.SlowStart), 'f', -1, 64)
}

// MaxWrites implements RateLimiter: the configured burst, or while the
// tenant's rate is adapted (slow start, after a 429) Smooth's worth of
// writes at that rate, at least one. The tenant's own burst is unknown
// and can be one $batch: writes that arrive together need it whole, so
// a full $batch that the scheduling of a loaded machine sends a little
// early collides well under the tenant's rate (BENCHMARKS.md finding
// (b)); smaller ones leave the rest of the tenant's burst to absorb it.
func (l *Limiter) MaxWrites(ctx context.Context, tenant string) (int, error) {
	if err := checkID("tenant", tenant); err != nil {
		return 0, err
	}
	limit := l.limits(tenant)
	r, lowered, err := l.Rate(ctx, tenant)
	if err != nil {
		return 0, err
	}
	if !lowered || l.adaptive.Smooth <= 0 {
		return limit.Burst, nil
	}
	n := int(r * l.adaptive.Smooth.Seconds() / limit.Period.Seconds())
	return min(limit.Burst, max(1, n)), nil
}

// Rate returns the tenant's adaptive rate (per the limit's period) and
// whether it is below the configured one. A tenant without state in slow
// start mode reports the rate its first Reserve starts at.
func (l *Limiter) Rate(ctx context.Context, tenant string) (float64, bool, error) {
	limit := l.limits(tenant)
	v, err := l.rdb.HGet(ctx, adaptKey(tenant), "r").Result()
	if errors.Is(err, redis.Nil) && !l.adaptive.Off && l.adaptive.SlowStart > 0 {
		v, err = l.startRate(limit), nil
	}
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

// reserve takes n tokens if their time is at most ahead from now and
// returns minus the wait until it (0: now), or takes nothing and returns
// how long to wait before asking again (a pause from Backoff included).
// A tenant's adaptive state is applied first.
func (l *Limiter) reserve(ctx context.Context, tenant string, n int, ahead time.Duration) (time.Duration, error) {
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
		state = pipe.HMGet(ctx, adaptKey(tenant), "r", "t", "q", "w", "s")
		pipe.PExpire(ctx, adaptKey(tenant), adaptiveTTL) // expires after an idle hour, not a busy one
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
	adapted := false
	if state != nil {
		if limit, adapted, err = l.adapt(ctx, tenant, limit, state.Val(), n); err != nil {
			return 0, err
		}
	}
	res, err := gcraScript.Run(ctx, l.rdb, []string{"rate:" + rateKey(tenant), adaptKey(tenant)}, limit.Burst, limit.Rate,
		limit.Period.Seconds(), n, ahead.Seconds(), adapted, l.now().UnixMilli()).Slice()
	if err != nil || len(res) != 2 {
		return 0, fmt.Errorf("reserve write budget: %w (%v)", err, res)
	}
	ok, _ := res[0].(int64)
	secs, _ := res[1].(string)
	f, err := strconv.ParseFloat(secs, 64)
	if err != nil {
		return 0, fmt.Errorf("reserve write budget: %q: %w", secs, err)
	}
	d := time.Duration(f * float64(time.Second))
	if ok == 1 {
		return -d, nil
	}
	return max(d, time.Millisecond), nil
}

// Reserve implements RateLimiter.
func (l *Limiter) Reserve(ctx context.Context, tenant string, n int) (time.Duration, error) {
	d, err := l.reserve(ctx, tenant, n, 0)
	return max(d, 0), err
}

// waitAhead is how far ahead of its time Wait reserves a grant, then
// sleeps until it: the budget's schedule runs on while a writer wakes up
// and asks Redis again, instead of losing that time at every grant (~10%
// of the rate on a loaded machine, BENCHMARKS.md finding (b)). Grants are
// still spaced at the rate; a 429 voids the reservations of its pause.
const waitAhead = 500 * time.Millisecond

// Wait implements RateLimiter.
func (l *Limiter) Wait(ctx context.Context, tenant string, n int) error {
	for {
		d, err := l.reserve(ctx, tenant, n, waitAhead)
		if err != nil {
			return err
		}
		granted := d <= 0
		if granted {
			d = -d
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("wait for write budget: %w", ctx.Err())
			case <-t.C:
			}
		}
		if !granted {
			continue
		}
		if d == 0 {
			return nil
		}
		// A 429 while this grant waited for its time pauses the tenant:
		// the grant is void, and the writer asks again after the pause.
		pause, err := l.rdb.PTTL(ctx, pauseKey(tenant)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read tenant pause: %w", err)
		}
		if pause <= 0 {
			return nil
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
		err := lowerScript.Run(ctx, l.rdb, []string{adaptKey(tenant)}, rate, a.Decrease, a.Near, max(1, rate*a.Floor),
			a.Hold.Milliseconds(), l.now().UnixMilli(), adaptiveTTL.Milliseconds(), a.Margin).Err()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("lower tenant write rate: %w", err)
		}
	}
	return nil
}

// adapt applies the adaptive state (HMGET r, t, q, w, s) to limit, raising
// the rate first when an Interval passed without a step or a 429 and the
// rate bound the fleet since the last step. adapted: the rate is below
// the configured one.
func (l *Limiter) adapt(ctx context.Context, tenant string, limit redis_rate.Limit, state []any, n int) (redis_rate.Limit, bool, error) {
	a := l.adaptive
	rs, _ := state[0].(string)
	if rs == "" {
		if a.SlowStart <= 0 {
			return limit, false, nil
		}
		v, err := startScript.Run(ctx, l.rdb, []string{adaptKey(tenant)}, l.startRate(limit),
			l.now().UnixMilli(), adaptiveTTL.Milliseconds()).Text()
		if err != nil {
			return limit, false, fmt.Errorf("start tenant write rate: %w", err)
		}
		rs = v
	}
	r, err := strconv.ParseFloat(rs, 64)
	if err != nil {
		return limit, false, fmt.Errorf("read adaptive rate %q: %w", rs, err)
	}
	if r >= float64(limit.Rate) {
		return limit, false, nil
	}
	ms := func(v any) int64 {
		vs, _ := v.(string)
		n, _ := strconv.ParseInt(vs, 10, 64)
		return n
	}
	// The last step or 429, whichever is later: a raise needs a quiet
	// Interval, and the rate to have bound the fleet since the step.
	t, w := max(ms(state[1]), ms(state[2])), ms(state[3])
	interval := a.Interval.Milliseconds()
	if ms(state[4]) == 1 {
		interval *= 2
	}
	if now := l.now().UnixMilli(); now-t >= interval && w >= ms(state[1]) {
		v, err := raiseScript.Run(ctx, l.rdb, []string{adaptKey(tenant)}, limit.Rate, a.Interval.Milliseconds(),
			a.Margin, a.Plateau, a.Probe, now, adaptiveTTL.Milliseconds(), a.SlowStart > 0).Text()
		if err != nil {
			return limit, false, fmt.Errorf("raise tenant write rate: %w", err)
		}
		if r, err = strconv.ParseFloat(v, 64); err != nil {
			return limit, false, fmt.Errorf("raise tenant write rate: %q: %w", v, err)
		}
	}
	return effective(limit, r, n, a.Slack), r < float64(limit.Rate), nil
}
