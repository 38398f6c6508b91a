package transformer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
)

// CodeDeletionThresholdExceeded is the outcome code of a deprovisioning
// intent held back by accidental-deletion prevention.
const CodeDeletionThresholdExceeded = string(rules.DeletionThresholdExceeded)

// DeletionGuard counts the deprovisioning intents of a cycle and keeps them
// out of the writers' way until the cycle's count is known. Per cycle:
//
//	xtsync:{<cfg>}:cycle:<id>:deprovisions  SET    source ids counted (SCARD is the count)
//	xtsync:{<cfg>}:cycle:<id>:pending       HASH   intent id -> WriteIntent (protobuf), awaiting the cycle end
//	xtsync:{<cfg>}:cycle:<id>:held          HASH   intent id -> WriteIntent: over the threshold, awaiting the admin
//	xtsync:{<cfg>}:cycle:<id>:decision      STRING "release" or "hold", once the cycle end decided
//	xtsync:{<cfg>}:cycle:<id>:force         STRING set by ReleaseHeld: hold nothing more
//	xtsync:{<cfg>}:cycle:<id>:groups        HASH   the scope pass's group changes (CycleGroups, cyclegroups.go)
//	xtsync:{<cfg>}:cycle:<id>:refs          HASH   users whose manager waits for the references round (CycleRefs, cyclerefs.go)
//
// and per configuration
//
//	xtsync:{<cfg>}:deprovisions:undecided   ZSET   cycle id -> ms of its first pending intent
//
// pending and held are separate keys because the scheduler pauses a job as
// soon as its cycle's held key exists: a pending list is not (yet) a reason
// to pause. The ZSET finds pending intents of cycles stopped before their
// CycleEnd; the next cycle end of the configuration decides them too.
// A SET instead of INCR: a redelivered batch must not count its objects
// twice. Every key expires after the cycle-state TTL.
type DeletionGuard struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// NewDeletionGuard returns the Redis guard; ttl bounds per-cycle state.
func NewDeletionGuard(rdb redis.UniversalClient, ttl time.Duration) *DeletionGuard {
	return &DeletionGuard{rdb: rdb, ttl: ttl}
}

func cycleKey(cfg, cycle, suffix string) string {
	return "xtsync:{" + cfg + "}:cycle:" + cycle + ":" + suffix
}

func undecidedKey(cfg string) string { return "xtsync:{" + cfg + "}:deprovisions:undecided" }

// Decisions stored under the cycle's decision key.
const (
	decisionRelease = "release"
	decisionHold    = "hold"
)

// Admission of one deprovisioning intent.
type admission int

const (
	admitPublish admission = iota // decided (released or forced): publish now
	admitPending                  // the cycle end decides
	admitHeld                     // the cycle was over the threshold: awaits the admin
)

// admitScript decides, per deprovisioning intent, publish (0), pending (1)
// or held (2). An intent kept before keeps its answer, so a redelivered
// batch gets the same one. KEYS: counted, pending, held, force, decision,
// undecided. ARGV: ttl seconds, cycle id, then (source id, intent id,
// payload) triples. Returns {count, flag...}.
var admitScript = redis.NewScript(`
local forced = redis.call('EXISTS', KEYS[4]) == 1
local decision = redis.call('GET', KEYS[5])
local res = {0}
local pending = false
for i = 3, #ARGV, 3 do
  local src, id, blob = ARGV[i], ARGV[i+1], ARGV[i+2]
  redis.call('SADD', KEYS[1], src)
  local flag = 0
  if redis.call('HEXISTS', KEYS[3], id) == 1 then
    flag = 2
  elseif redis.call('HEXISTS', KEYS[2], id) == 1 then
    flag = 1
  elseif forced or decision == 'release' then
    flag = 0
  elseif decision == 'hold' then
    redis.call('HSET', KEYS[3], id, blob)
    flag = 2
  else
    redis.call('HSET', KEYS[2], id, blob)
    pending = true
    flag = 1
  end
  res[#res+1] = flag
end
res[1] = redis.call('SCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
for _, k in ipairs({KEYS[2], KEYS[3]}) do
  if redis.call('EXISTS', k) == 1 then redis.call('EXPIRE', k, ARGV[1]) end
end
if pending then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[6], 'NX', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[2])
  redis.call('EXPIRE', KEYS[6], ARGV[1])
end
return res
`)

// Admit files a cycle's deprovisioning intents: each is to publish now,
// pending until the cycle end decides, or held for the admin. count is the
// cycle's deprovision count after this batch.
func (g *DeletionGuard) Admit(ctx context.Context, cfg, cycle string, intents []*eventsv1.WriteIntent) (flags []admission, count int64, err error) {
	if len(intents) == 0 {
		return nil, 0, nil
	}
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, 0, err
	}
	args := make([]any, 0, 2+3*len(intents))
	args = append(args, g.ttlSeconds(), cycle)
	for _, wi := range intents {
		blob, err := proto.Marshal(wi)
		if err != nil {
			return nil, 0, fmt.Errorf("encode intent %s: %w", wi.GetIntentId(), err)
		}
		args = append(args, wi.GetSource().GetObjectId(), wi.GetIntentId(), blob)
	}
	keys := []string{cycleKey(cfg, cycle, "deprovisions"), cycleKey(cfg, cycle, "pending"), cycleKey(cfg, cycle, "held"),
		cycleKey(cfg, cycle, "force"), cycleKey(cfg, cycle, "decision"), undecidedKey(cfg)}
	res, err := admitScript.Run(ctx, g.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("count deprovisions of cycle %s: %w", cycle, err)
	}
	flags = make([]admission, len(intents))
	for i := range intents {
		flags[i] = admission(res[i+1])
	}
	return flags, res[0], nil
}

func (g *DeletionGuard) ttlSeconds() int64 { return int64(g.ttl / time.Second) }

// Held returns the intents held for a cycle, in no particular order.
func (g *DeletionGuard) Held(ctx context.Context, cfg, cycle string) ([]*eventsv1.WriteIntent, error) {
	return g.scan(ctx, cfg, cycle, "held")
}

// Pending returns the intents of a cycle awaiting its end, in no
// particular order.
func (g *DeletionGuard) Pending(ctx context.Context, cfg, cycle string) ([]*eventsv1.WriteIntent, error) {
	return g.scan(ctx, cfg, cycle, "pending")
}

func (g *DeletionGuard) scan(ctx context.Context, cfg, cycle, which string) ([]*eventsv1.WriteIntent, error) {
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, err
	}
	var out []*eventsv1.WriteIntent
	it := g.rdb.HScan(ctx, cycleKey(cfg, cycle, which), 0, "", 500).Iterator()
	for it.Next(ctx) {
		if !it.Next(ctx) { // HSCAN yields field, value pairs
			break
		}
		wi := &eventsv1.WriteIntent{}
		if err := proto.Unmarshal([]byte(it.Val()), wi); err != nil {
			return nil, fmt.Errorf("decode %s intent: %w", which, err)
		}
		out = append(out, wi)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read %s intents of cycle %s: %w", which, cycle, err)
	}
	return out, nil
}

// Force marks the cycle as released: later batches of it hold nothing.
func (g *DeletionGuard) Force(ctx context.Context, cfg, cycle string) error {
	if err := checkIDs(cfg, cycle); err != nil {
		return err
	}
	if err := g.rdb.Set(ctx, cycleKey(cfg, cycle, "force"), "1", g.ttl).Err(); err != nil {
		return fmt.Errorf("force deletes of cycle %s: %w", cycle, err)
	}
	return nil
}

// Forced reports whether ReleaseHeld marked the cycle.
func (g *DeletionGuard) Forced(ctx context.Context, cfg, cycle string) (bool, error) {
	n, err := g.rdb.Exists(ctx, cycleKey(cfg, cycle, "force")).Result()
	if err != nil {
		return false, fmt.Errorf("read force mark of cycle %s: %w", cycle, err)
	}
	return n == 1, nil
}

// Forget drops a cycle's held and pending intents once they were
// published.
func (g *DeletionGuard) Forget(ctx context.Context, cfg, cycle string) error {
	pipe := g.rdb.TxPipeline()
	pipe.Del(ctx, cycleKey(cfg, cycle, "held"), cycleKey(cfg, cycle, "pending"))
	pipe.ZRem(ctx, undecidedKey(cfg), cycle)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("drop held intents of cycle %s: %w", cycle, err)
	}
	return nil
}

// Count returns the cycle's deprovision count.
func (g *DeletionGuard) Count(ctx context.Context, cfg, cycle string) (int64, error) {
	n, err := g.rdb.SCard(ctx, cycleKey(cfg, cycle, "deprovisions")).Result()
	if err != nil {
		return 0, fmt.Errorf("count deprovisions of cycle %s: %w", cycle, err)
	}
	return n, nil
}

// CountUnion returns how many distinct objects the cycles deprovision.
func (g *DeletionGuard) CountUnion(ctx context.Context, cfg string, cycles []string) (int64, error) {
	keys := make([]string, len(cycles))
	for i, c := range cycles {
		keys[i] = cycleKey(cfg, c, "deprovisions")
	}
	tmp := cycleKey(cfg, cycles[0], "deprovisions-union")
	pipe := g.rdb.TxPipeline()
	pipe.SUnionStore(ctx, tmp, keys...)
	n := pipe.SCard(ctx, tmp)
	pipe.Del(ctx, tmp)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("count deprovisions of cycles %v: %w", cycles, err)
	}
	return n.Val(), nil
}

// Decision returns the cycle's decision ("" while undecided).
func (g *DeletionGuard) Decision(ctx context.Context, cfg, cycle string) (string, error) {
	d, err := g.rdb.Get(ctx, cycleKey(cfg, cycle, "decision")).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read decision of cycle %s: %w", cycle, err)
	}
	return d, nil
}

// undecided returns the cycles of cfg with pending intents first seen
// up to endedAt (Redis clock vs the reader's: a newer cycle starts only
// after this CycleEnd was stored), cycle itself excluded: cycles stopped
// before their end.
func (g *DeletionGuard) undecided(ctx context.Context, cfg, cycle string, endedAt time.Time) ([]string, error) {
	ids, err := g.rdb.ZRangeByScore(ctx, undecidedKey(cfg), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(endedAt.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("list undecided cycles of %s: %w", cfg, err)
	}
	out := ids[:0]
	for _, id := range ids {
		if id != cycle && checkIDs(id) == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// releasedScript records "release" for every cycle of the group and drops
// their pending intents, atomically: once the decision is visible the
// cleanup is done. KEYS: undecided, then (decision, pending) per cycle.
// ARGV: ttl seconds, then the cycle ids.
var releasedScript = redis.NewScript(`
for i = 2, #ARGV do
  local d, p = KEYS[2*i-2], KEYS[2*i-1]
  redis.call('SET', d, 'release', 'EX', ARGV[1])
  redis.call('DEL', p)
  redis.call('ZREM', KEYS[1], ARGV[i])
end
return 1
`)

// markReleased closes the group's decision after its pending intents were
// stored by JetStream.
func (g *DeletionGuard) markReleased(ctx context.Context, cfg string, group []string) error {
	keys := []string{undecidedKey(cfg)}
	args := []any{g.ttlSeconds()}
	for _, c := range group {
		keys = append(keys, cycleKey(cfg, c, "decision"), cycleKey(cfg, c, "pending"))
		args = append(args, c)
	}
	if err := releasedScript.Run(ctx, g.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("record release of cycle %s: %w", group[0], err)
	}
	return nil
}

// holdScript moves the pending intents of every cycle of the group into
// the first cycle's held HASH (the scheduler's pause signal) and records
// "hold", atomically. KEYS: undecided, held, decision, then the pending
// key per cycle. ARGV: ttl seconds, the cycle ids, then intent ids to
// leave out (an older cycle's duplicate of an object).
var holdScript = redis.NewScript(`
local n = #KEYS - 3
for i = 4, #KEYS do
  local kv = redis.call('HGETALL', KEYS[i])
  for j = 1, #kv, 2 do redis.call('HSET', KEYS[2], kv[j], kv[j+1]) end
  redis.call('DEL', KEYS[i])
  redis.call('ZREM', KEYS[1], ARGV[i-2])
end
for i = n + 2, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
redis.call('SET', KEYS[3], 'hold', 'EX', ARGV[1])
return 1
`)

// markHeld moves the group's pending intents, but drop, to group[0]'s
// held list.
func (g *DeletionGuard) markHeld(ctx context.Context, cfg string, group, drop []string) error {
	keys := []string{undecidedKey(cfg), cycleKey(cfg, group[0], "held"), cycleKey(cfg, group[0], "decision")}
	args := []any{g.ttlSeconds()}
	for _, c := range group {
		keys = append(keys, cycleKey(cfg, c, "pending"))
		args = append(args, c)
	}
	for _, id := range drop {
		args = append(args, id)
	}
	if err := holdScript.Run(ctx, g.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("hold deprovisions of cycle %s: %w", group[0], err)
	}
	return nil
}
