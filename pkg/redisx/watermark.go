package redisx

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// A watermark is a hash {rev, data}: rev is the CAS counter, data the JSON
// of Watermark. Delta links are long URLs, so JSON costs nothing extra.

// commitScript: KEYS[1] watermark; ARGV expected rev, new data.
// Returns {rev, data} of what is stored afterwards, or {-1, rev} on conflict.
// A repeat of the Commit that produced the stored state succeeds, so a retry
// after a lost reply is not mistaken for a lost race.
var commitScript = redis.NewScript(`
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
local want = tonumber(ARGV[1])
if rev == want + 1 and redis.call('HGET', KEYS[1], 'data') == ARGV[2] then
  return {rev, ARGV[2]}
end
if rev ~= want then return {-1, rev} end
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'data', ARGV[2])
return {rev + 1, ARGV[2]}
`)

// resetScript keeps rev growing so old holders conflict; data is emptied.
var resetScript = redis.NewScript(`
local rev = redis.call('HINCRBY', KEYS[1], 'rev', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[1])
return rev
`)

// Watermarks is the Redis WatermarkStore.
type Watermarks struct{ rdb redis.UniversalClient }

var _ WatermarkStore = (*Watermarks)(nil)

// NewWatermarks returns the Redis watermark store.
func NewWatermarks(rdb redis.UniversalClient) *Watermarks { return &Watermarks{rdb: rdb} }

func checkCfgType(cfg string, t ObjectType) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if t != Users && t != Groups {
		return fmt.Errorf("%w: object type %q", ErrInvalid, t)
	}
	return nil
}

// Get implements WatermarkStore.
func (w *Watermarks) Get(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	if err := checkCfgType(cfg, t); err != nil {
		return Watermark{}, err
	}
	vals, err := w.rdb.HMGet(ctx, watermarkKey(cfg, t), "rev", "data").Result()
	if err != nil {
		return Watermark{}, fmt.Errorf("get watermark: %w", err)
	}
	rev, _ := vals[0].(string)
	data, _ := vals[1].(string)
	if rev == "" {
		return Watermark{}, fmt.Errorf("watermark %s/%s: %w", cfg, t, ErrNotFound)
	}
	return decodeWatermark(rev, data)
}

// Commit implements WatermarkStore.
func (w *Watermarks) Commit(ctx context.Context, cfg string, t ObjectType, expected uint64, next Watermark) (Watermark, error) {
	if err := checkCfgType(cfg, t); err != nil {
		return Watermark{}, err
	}
	next.Rev = 0
	next.UpdatedAt = next.UpdatedAt.UTC()
	data, err := json.Marshal(next)
	if err != nil {
		return Watermark{}, fmt.Errorf("encode watermark: %w", err)
	}
	res, err := commitScript.Run(ctx, w.rdb, []string{watermarkKey(cfg, t)}, expected, data).Slice()
	if err != nil {
		return Watermark{}, fmt.Errorf("commit watermark: %w", err)
	}
	if rev, _ := res[0].(int64); rev < 0 {
		return Watermark{}, fmt.Errorf("commit watermark %s/%s: stored rev %v, expected %d: %w",
			cfg, t, res[1], expected, ErrConflict)
	}
	next.Rev = expected + 1
	return next, nil
}

// Reset implements WatermarkStore.
func (w *Watermarks) Reset(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	if err := checkCfgType(cfg, t); err != nil {
		return Watermark{}, err
	}
	rev, err := resetScript.Run(ctx, w.rdb, []string{watermarkKey(cfg, t)}, "{}").Uint64()
	if err != nil {
		return Watermark{}, fmt.Errorf("reset watermark: %w", err)
	}
	return Watermark{Rev: rev}, nil
}

func decodeWatermark(rev, data string) (Watermark, error) {
	var wm Watermark
	if data != "" {
		if err := json.Unmarshal([]byte(data), &wm); err != nil {
			return Watermark{}, fmt.Errorf("decode watermark: %w", err)
		}
	}
	if _, err := fmt.Sscan(rev, &wm.Rev); err != nil {
		return Watermark{}, fmt.Errorf("decode watermark rev %q: %w", rev, err)
	}
	return wm, nil
}
