package synclog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys, all under the configuration's hash tag so each script stays
// in one cluster slot (pkg/redisx doc.go lists the other keys of a
// configuration; "lock", "fence" and "deprovisions" are taken there):
//
//	xtsync:{<cfg>}:cycle:<cycle>       HASH  counters and times (fields below), TTL CycleTTL
//	xtsync:{<cfg>}:cycle:<cycle>:seen  SET   entry ids counted, TTL SeenTTL
//	xtsync:{<cfg>}:cycle:<cycle>:owner HASH  entry id -> "<lease end ms>|<batch id>" while logged, TTL SeenTTL
//	xtsync:{<cfg>}:cycles              ZSET  cycle id -> first seen (ms), the newest 200
//
// The seen set is exact, not a HyperLogLog: a redelivered entry must be
// recognised individually (PFADD's "changed" is an estimate and would both
// drop and double entries). At ~70 B per GUID-sized id a 300,000-object
// full import costs ~21 MB for SeenTTL; delta cycles cost little.
func cycleKey(cfg, cycle string) string { return "xtsync:{" + cfg + "}:cycle:" + cycle }
func seenKey(cfg, cycle string) string  { return cycleKey(cfg, cycle) + ":seen" }
func ownerKey(cfg, cycle string) string { return cycleKey(cfg, cycle) + ":owner" }
func cyclesKey(cfg string) string       { return "xtsync:{" + cfg + "}:cycles" }

// Cycle hash fields.
const (
	fStart      = "start_ms"    // CycleStart.requested_at
	fMode       = "mode"        // CycleStart.mode
	fTrace      = "trace_id"    // trace of the CycleStart message
	fEnd        = "end_ms"      // CycleEnd.finished_at: the reader is done
	fExpected   = "expected"    // CycleEnd.changes_published (objects)
	fLogged     = "logged"      // entries counted
	fSucceeded  = "succeeded"   // successful writes (skips excluded)
	fFailed     = "failed"      // failed writes
	fAuthFailed = "auth_failed" // failed with an authentication code
	fHeld       = "held"        // deprovisions held by the deletion threshold
	fFirst      = "first_ms"    // first entry counted
	fLast       = "last_ms"     // last entry counted
	fComplete   = "complete_ms" // reader done and every expected entry logged
	fVerdict    = "verdict"     // quarantine reason entered, "healthy" or "inconclusive"
	fHeldSignal = "held_signal" // TooManyDeletes entered for this cycle
	prefAction  = "action:"     // action:<Create|Update|...>
	prefStatus  = "status:"     // status:<Success|Failure|Skipped|Warning>
)

// Per-entry flags passed to countScript.
const (
	flagFailed = 1 << iota
	flagAuth
	flagHeld
	flagSucceeded
)

// completeLua marks the cycle complete once the reader is done and every
// expected entry is logged.
const completeLua = `
local function complete(k, now)
  local e = redis.call('HGET', k, 'expected')
  if e and not redis.call('HGET', k, 'complete_ms') then
    local l = tonumber(redis.call('HGET', k, 'logged') or '0')
    if l >= tonumber(e) then redis.call('HSET', k, 'complete_ms', now) end
  end
end
`

// countScript: KEYS cycle hash, seen set, cycles zset, owner hash; ARGV
// cycle id, now ms, hash ttl ms, seen ttl ms, then (id, action, status,
// flags) per entry. Returns the number of entries counted now.
var countScript = redis.NewScript(completeLua + `
local now = ARGV[2]
local n = 0
for i = 5, #ARGV, 4 do
  redis.call('HDEL', KEYS[4], ARGV[i])
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    n = n + 1
    local f = tonumber(ARGV[i+3])
    redis.call('HINCRBY', KEYS[1], 'logged', 1)
    redis.call('HINCRBY', KEYS[1], 'action:' .. ARGV[i+1], 1)
    redis.call('HINCRBY', KEYS[1], 'status:' .. ARGV[i+2], 1)
    if f % 2 == 1 then redis.call('HINCRBY', KEYS[1], 'failed', 1) end
    if math.floor(f / 2) % 2 == 1 then redis.call('HINCRBY', KEYS[1], 'auth_failed', 1) end
    if math.floor(f / 4) % 2 == 1 then redis.call('HINCRBY', KEYS[1], 'held', 1) end
    if math.floor(f / 8) % 2 == 1 then redis.call('HINCRBY', KEYS[1], 'succeeded', 1) end
  end
end
redis.call('HSETNX', KEYS[1], 'first_ms', now)
redis.call('HSET', KEYS[1], 'last_ms', now)
redis.call('ZADD', KEYS[3], 'NX', now, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -201)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
complete(KEYS[1], now)
return n
`)

// ownScript: KEYS seen set, owner hash; ARGV batch id, now ms, lease ms,
// ttl ms, then the entry ids. Returns the 1-based positions of the ids this
// batch logs: not counted yet, and not being logged by another batch whose
// lease runs. Owning an id keeps its entry in one batch's message even when
// two OutcomeBatches carry it and the first fails between publish and count.
var ownScript = redis.NewScript(`
local now, mine = tonumber(ARGV[2]), {}
local val = (now + tonumber(ARGV[3])) .. '|' .. ARGV[1]
for i = 5, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then
    local cur, ok = redis.call('HGET', KEYS[2], ARGV[i]), true
    if cur then
      local sep = string.find(cur, '|', 1, true)
      ok = string.sub(cur, sep + 1) == ARGV[1] or tonumber(string.sub(cur, 1, sep - 1)) < now
    end
    if ok then
      redis.call('HSET', KEYS[2], ARGV[i], val)
      mine[#mine + 1] = i - 4
    end
  end
end
if #mine > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return mine
`)

// ownerLease is how long a batch keeps the ids it logs from other batches
// after its last delivery: longer than a nak'ed batch waits for its
// redelivery, so only a batch that is gone (dead-lettered, its copy lost)
// hands its ids over. A takeover can log an entry twice, never lose it.
const ownerLease = 10 * time.Minute

// endScript: KEYS cycle hash; ARGV expected, end ms, now ms, ttl ms. It
// keeps the largest expectation, so a redelivered CycleEnd changes nothing
// (a resumed reader reports only what its own run published).
var endScript = redis.NewScript(completeLua + `
local old = tonumber(redis.call('HGET', KEYS[1], 'expected') or '-1')
if tonumber(ARGV[1]) > old then redis.call('HSET', KEYS[1], 'expected', ARGV[1]) end
redis.call('HSET', KEYS[1], 'end_ms', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
complete(KEYS[1], ARGV[3])
return 1
`)

// counted is one entry to count.
type counted struct {
	id, action, status string
	flags              int
}

// counters is the Redis side of cycle progress.
type counters struct {
	rdb      redis.UniversalClient
	cycleTTL time.Duration
	seenTTL  time.Duration
}

// own returns the indexes of the ids batch logs now (ownScript), in order.
func (c *counters) own(ctx context.Context, cfg, cycle, batch string, ids []string, now time.Time) ([]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 4+len(ids))
	args = append(args, batch, now.UnixMilli(), ownerLease.Milliseconds(), c.seenTTL.Milliseconds())
	for _, id := range ids {
		args = append(args, id)
	}
	pos, err := ownScript.Run(ctx, c.rdb, []string{seenKey(cfg, cycle), ownerKey(cfg, cycle)}, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("claim entries of cycle %s: %w", cycle, err)
	}
	out := make([]int, len(pos))
	for i, p := range pos {
		out[i] = int(p) - 1
	}
	return out, nil
}

// count adds entries to the cycle's counters, each id once, and returns
// how many were new.
func (c *counters) count(ctx context.Context, cfg, cycle string, entries []counted, now time.Time) (int64, error) {
	args := []any{cycle, now.UnixMilli(), c.cycleTTL.Milliseconds(), c.seenTTL.Milliseconds()}
	for _, e := range entries {
		args = append(args, e.id, e.action, e.status, e.flags)
	}
	n, err := countScript.Run(ctx, c.rdb, []string{cycleKey(cfg, cycle), seenKey(cfg, cycle), cyclesKey(cfg), ownerKey(cfg, cycle)}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("count %d entries of cycle %s: %w", len(entries), cycle, err)
	}
	return n, nil
}

// started records a CycleStart; repeats keep the first values.
func (c *counters) started(ctx context.Context, cfg, cycle, mode, traceID string, at time.Time) error {
	k := cycleKey(cfg, cycle)
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, k, fStart, at.UnixMilli())
		p.HSetNX(ctx, k, fMode, mode)
		if traceID != "" {
			p.HSetNX(ctx, k, fTrace, traceID)
		}
		p.PExpire(ctx, k, c.cycleTTL)
		p.ZAddNX(ctx, cyclesKey(cfg), redis.Z{Score: float64(at.UnixMilli()), Member: cycle})
		p.ZRemRangeByRank(ctx, cyclesKey(cfg), 0, -201)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record start of cycle %s: %w", cycle, err)
	}
	return nil
}

// ended records a CycleEnd; repeating it is harmless.
func (c *counters) ended(ctx context.Context, cfg, cycle string, expected int64, at, now time.Time) error {
	err := endScript.Run(ctx, c.rdb, []string{cycleKey(cfg, cycle)}, expected, at.UnixMilli(), now.UnixMilli(), c.cycleTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("record end of cycle %s: %w", cycle, err)
	}
	return nil
}

// claim sets field to value unless it is set; true if this call set it.
func (c *counters) claim(ctx context.Context, cfg, cycle, field, value string) (bool, error) {
	ok, err := c.rdb.HSetNX(ctx, cycleKey(cfg, cycle), field, value).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s of cycle %s: %w", field, cycle, err)
	}
	return ok, nil
}

// unclaim undoes claim after the claimed action failed, so a retry does it.
func (c *counters) unclaim(ctx context.Context, cfg, cycle, field string) error {
	if err := c.rdb.HDel(ctx, cycleKey(cfg, cycle), field).Err(); err != nil {
		return fmt.Errorf("unclaim %s of cycle %s: %w", field, cycle, err)
	}
	return nil
}

// snapshot reads the cycle hash.
func (c *counters) snapshot(ctx context.Context, cfg, cycle string) (map[string]string, error) {
	m, err := c.rdb.HGetAll(ctx, cycleKey(cfg, cycle)).Result()
	if err != nil {
		return nil, fmt.Errorf("read cycle %s: %w", cycle, err)
	}
	return m, nil
}

func num(m map[string]string, f string) int64 {
	v, _ := strconv.ParseInt(m[f], 10, 64)
	return v
}

func byPrefix(m map[string]string, p string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if name, ok := strings.CutPrefix(k, p); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[name] = n
		}
	}
	return out
}
