package transformer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// CycleGroups keeps the group changes of a cycle's scope pass
// (SourceChangeBatch.scope_only) until the reader's groups provisioning
// round, which runs after the cycle's users are written so the groups'
// members resolve (doc.go, "Groups after their members"):
//
//	xtsync:{<cfg>}:cycle:<id>:groups  HASH  group id -> observed_at (20 digits, unix ns) + SourceChange (protobuf)
//
// The latest observed change of a group wins, so a redelivered or re-read
// older batch never replaces a newer one; the hash expires with the other
// per-cycle state (Config.CycleStateTTL).
type CycleGroups struct {
	rdb redis.UniversalClient
	ttl time.Duration
	// hash is the key's last part: "groups", or "refs" for CycleRefs.
	hash string
}

// NewCycleGroups returns the Redis store; ttl is the hash's expiry, set on
// every store (unused by List).
func NewCycleGroups(rdb redis.UniversalClient, ttl time.Duration) *CycleGroups {
	return &CycleGroups{rdb: rdb, ttl: ttl, hash: "groups"}
}

const observedDigits = 20

var errCorrupt = errors.New("transformer: corrupt stored group change")

// storeGroupsScript: KEYS hash; ARGV ttl ms, then (group id, value) pairs.
// A value's first 20 bytes are its zero-padded observed time: the string
// comparison orders them.
var storeGroupsScript = redis.NewScript(`
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur or string.sub(cur, 1, 20) <= string.sub(ARGV[i+1], 1, 20) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// store records the changes of a scope-only batch. Idempotent: the same
// batch again stores the same values.
func (s *CycleGroups) store(ctx context.Context, cfg, cycle string, changes []*eventsv1.SourceChange) error {
	if len(changes) == 0 {
		return nil
	}
	args := make([]any, 0, 1+2*len(changes))
	args = append(args, s.ttl.Milliseconds())
	for _, ch := range changes {
		b, err := proto.Marshal(ch)
		if err != nil {
			return fmt.Errorf("encode group change %s: %w", ch.GetObject().GetObjectId(), err)
		}
		var at int64
		if ts := ch.GetObservedAt(); ts != nil {
			at = ts.AsTime().UnixNano()
		}
		v := fmt.Sprintf("%0*d", observedDigits, at) + string(b)
		args = append(args, ch.GetObject().GetObjectId(), v)
	}
	if err := storeGroupsScript.Run(ctx, s.rdb, []string{cycleKey(cfg, cycle, s.hash)}, args...).Err(); err != nil {
		return fmt.Errorf("store %d group changes of cycle %s: %w", len(changes), cycle, err)
	}
	return nil
}

// List returns the stored group changes of the cycle, by group id.
func (s *CycleGroups) List(ctx context.Context, cfg, cycle string) ([]*eventsv1.SourceChange, error) {
	if err := checkIDs(cfg, cycle); err != nil {
		return nil, err
	}
	key := cycleKey(cfg, cycle, s.hash)
	var out []*eventsv1.SourceChange
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", 500).Result()
		if err != nil {
			return nil, fmt.Errorf("list group changes of cycle %s: %w", cycle, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v := kv[i+1]
			if len(v) < observedDigits {
				return nil, fmt.Errorf("group change %s of cycle %s: %d bytes: %w", kv[i], cycle, len(v), errCorrupt)
			}
			ch := &eventsv1.SourceChange{}
			if err := proto.Unmarshal([]byte(v[observedDigits:]), ch); err != nil {
				return nil, fmt.Errorf("decode group change %s of cycle %s: %w", kv[i], cycle, err)
			}
			out = append(out, ch)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	// HSCAN may return a field twice while the hash grows; keep one.
	sort.SliceStable(out, func(i, j int) bool { return out[i].GetObject().GetObjectId() < out[j].GetObject().GetObjectId() })
	kept := out[:0]
	for i, ch := range out {
		if i == 0 || ch.GetObject().GetObjectId() != out[i-1].GetObject().GetObjectId() {
			kept = append(kept, ch)
		}
	}
	return kept, nil
}
