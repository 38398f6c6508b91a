package transformer

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
)

// CodeDeletionThresholdExceeded is the outcome code of a deprovisioning
// intent held back by accidental-deletion prevention.
const CodeDeletionThresholdExceeded = string(rules.DeletionThresholdExceeded)

// DeletionGuard counts the deprovisioning intents of a cycle and holds back
// those past the threshold. Per cycle:
//
//	xtsync:{<cfg>}:cycle:<id>:deprovisions  SET  source ids counted (SCARD is the count)
//	xtsync:{<cfg>}:cycle:<id>:held          HASH intent id -> WriteIntent (protobuf)
//	xtsync:{<cfg>}:cycle:<id>:force         STRING set by ReleaseHeld: hold nothing more
//
// A SET instead of the INCR docs/pipeline.md sketched: a redelivered batch
// must not count its objects twice, and SADD is idempotent where INCR is not.
// Every key expires after the cycle-state TTL.
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

// admitScript decides, per deprovisioning intent, publish (0) or hold (1).
// An intent held before stays held and one counted before stays published,
// so a redelivered batch gets the same answer. KEYS: counted, held, force.
// ARGV: threshold, ttl seconds, then (source id, intent id, payload)
// triples. Returns {count, flag...}.
var admitScript = redis.NewScript(`
local forced = redis.call('EXISTS', KEYS[3]) == 1
local th = tonumber(ARGV[1])
local res = {0}
for i = 3, #ARGV, 3 do
  local src, id, blob = ARGV[i], ARGV[i+1], ARGV[i+2]
  local flag = 0
  if redis.call('HEXISTS', KEYS[2], id) == 1 then
    flag = 1
  elseif redis.call('SADD', KEYS[1], src) == 1 and not forced and redis.call('SCARD', KEYS[1]) > th then
    redis.call('HSET', KEYS[2], id, blob)
    flag = 1
  end
  res[#res+1] = flag
end
res[1] = redis.call('SCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return res
`)

// Admit splits deprovisioning intents into those to publish and those held
// because the cycle's count passed threshold (> 0). count is the cycle's
// deprovision count after this batch.
func (g *DeletionGuard) Admit(ctx context.Context, cfg, cycle string, threshold int, intents []*eventsv1.WriteIntent) (held []bool, count int64, err error) {
	if len(intents) == 0 {
		return nil, 0, nil
	}
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, 0, err
	}
	args := make([]any, 0, 2+3*len(intents))
	args = append(args, threshold, int64(g.ttl/time.Second))
	for _, wi := range intents {
		blob, err := proto.Marshal(wi)
		if err != nil {
			return nil, 0, fmt.Errorf("encode intent %s: %w", wi.GetIntentId(), err)
		}
		args = append(args, wi.GetSource().GetObjectId(), wi.GetIntentId(), blob)
	}
	keys := []string{cycleKey(cfg, cycle, "deprovisions"), cycleKey(cfg, cycle, "held"), cycleKey(cfg, cycle, "force")}
	res, err := admitScript.Run(ctx, g.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("count deprovisions of cycle %s: %w", cycle, err)
	}
	held = make([]bool, len(intents))
	for i := range intents {
		held[i] = res[i+1] == 1
	}
	return held, res[0], nil
}

// Held returns the intents held for a cycle, in no particular order.
func (g *DeletionGuard) Held(ctx context.Context, cfg, cycle string) ([]*eventsv1.WriteIntent, error) {
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, err
	}
	var out []*eventsv1.WriteIntent
	it := g.rdb.HScan(ctx, cycleKey(cfg, cycle, "held"), 0, "", 500).Iterator()
	for it.Next(ctx) {
		if !it.Next(ctx) { // HSCAN yields field, value pairs
			break
		}
		wi := &eventsv1.WriteIntent{}
		if err := proto.Unmarshal([]byte(it.Val()), wi); err != nil {
			return nil, fmt.Errorf("decode held intent: %w", err)
		}
		out = append(out, wi)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read held intents of cycle %s: %w", cycle, err)
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

// Forget drops the held intents once they were published.
func (g *DeletionGuard) Forget(ctx context.Context, cfg, cycle string) error {
	if err := g.rdb.Del(ctx, cycleKey(cfg, cycle, "held")).Err(); err != nil {
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
