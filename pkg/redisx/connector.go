package redisx

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/redis/go-redis/v9"
)

// putScript stores entries whose version is not older than the stored one
// and keeps the reverse index in step, atomically per batch.
// KEYS: cds, rev. ARGV: (sourceID, blob, targetID) triples. Returns one
// integer per triple: 1 stored, 0 refused as older.
var putScript = redis.NewScript(`
local function older(new, old) -- bytes 2..9: big-endian version
  for i = 2, 9 do
    local a, b = string.byte(new, i), string.byte(old, i)
    if a ~= b then return a < b end
  end
  return false
end
local function target(blob)
  local n = string.byte(blob, 10)
  return string.sub(blob, 11, 10 + n)
end
local res = {}
for i = 1, #ARGV, 3 do
  local src, blob, tgt = ARGV[i], ARGV[i+1], ARGV[i+2]
  local old = redis.call('HGET', KEYS[1], src)
  if old and older(blob, old) then
    res[#res+1] = 0
  else
    if old then
      local ot = target(old)
      if ot ~= '' and ot ~= tgt and redis.call('HGET', KEYS[2], ot) == src then
        redis.call('HDEL', KEYS[2], ot)
      end
    end
    redis.call('HSET', KEYS[1], src, blob)
    if tgt ~= '' then redis.call('HSET', KEYS[2], tgt, src) end
    res[#res+1] = 1
  end
end
return res
`)

// deleteScript removes an entry and its reverse index. KEYS: cds, rev.
var deleteScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local ot = string.sub(old, 11, 10 + string.byte(old, 10))
if ot ~= '' and redis.call('HGET', KEYS[2], ot) == ARGV[1] then
  redis.call('HDEL', KEYS[2], ot)
end
return redis.call('HDEL', KEYS[1], ARGV[1])
`)

// Connectors is the Redis ConnectorStore: one hash per configuration
// (source id → binary entry) and one reverse hash (target id → source id).
type Connectors struct {
	rdb redis.UniversalClient
	// batch bounds one HMGET or one script call.
	batch int
}

var _ ConnectorStore = (*Connectors)(nil)

// NewConnectors returns the Redis connector data store.
func NewConnectors(rdb redis.UniversalClient) *Connectors {
	return &Connectors{rdb: rdb, batch: 500}
}

// Get implements ConnectorStore.
func (c *Connectors) Get(ctx context.Context, cfg, sourceID string) (Entry, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return Entry{}, err
	}
	b, err := c.rdb.HGet(ctx, cdsKey(cfg), sourceID).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, fmt.Errorf("connector entry %q: %w", sourceID, ErrNotFound)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("get connector entry: %w", err)
	}
	return decodeEntry(sourceID, b)
}

// GetMany implements ConnectorStore.
func (c *Connectors) GetMany(ctx context.Context, cfg string, ids []string) (map[string]Entry, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return nil, err
	}
	out := make(map[string]Entry, len(ids))
	for chunk := range slices.Chunk(ids, c.batch) {
		vals, err := c.rdb.HMGet(ctx, cdsKey(cfg), chunk...).Result()
		if err != nil {
			return nil, fmt.Errorf("get connector entries: %w", err)
		}
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			e, err := decodeEntry(chunk[i], []byte(s))
			if err != nil {
				return nil, err
			}
			out[chunk[i]] = e
		}
	}
	return out, nil
}

// SourceOf implements ConnectorStore.
func (c *Connectors) SourceOf(ctx context.Context, cfg, targetID string) (string, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return "", err
	}
	s, err := c.rdb.HGet(ctx, cdsRevKey(cfg), targetID).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("target object %q: %w", targetID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("resolve target object: %w", err)
	}
	return s, nil
}

// Put implements ConnectorStore.
func (c *Connectors) Put(ctx context.Context, cfg string, e Entry) error {
	errs, err := c.PutMany(ctx, cfg, []Entry{e})
	if err != nil {
		return err
	}
	return errs[0]
}

// PutMany implements ConnectorStore.
func (c *Connectors) PutMany(ctx context.Context, cfg string, entries []Entry) ([]error, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return nil, err
	}
	args := make([]any, 0, 3*len(entries))
	for _, e := range entries {
		if err := checkID("source id", e.SourceID); err != nil {
			return nil, err
		}
		blob, err := encodeEntry(e)
		if err != nil {
			return nil, fmt.Errorf("encode entry %q: %w", e.SourceID, err)
		}
		args = append(args, e.SourceID, blob, e.TargetID)
	}
	keys := []string{cdsKey(cfg), cdsRevKey(cfg)}
	errs := make([]error, 0, len(entries))
	for chunk := range slices.Chunk(args, 3*c.batch) {
		res, err := putScript.Run(ctx, c.rdb, keys, chunk...).Int64Slice()
		if err != nil {
			return nil, fmt.Errorf("put connector entries: %w", err)
		}
		for _, r := range res {
			var e error
			if r == 0 {
				e = fmt.Errorf("connector entry %q: stored version is newer: %w",
					entries[len(errs)].SourceID, ErrConflict)
			}
			errs = append(errs, e)
		}
	}
	return errs, nil
}

// Delete implements ConnectorStore.
func (c *Connectors) Delete(ctx context.Context, cfg, sourceID string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	err := deleteScript.Run(ctx, c.rdb, []string{cdsKey(cfg), cdsRevKey(cfg)}, sourceID).Err()
	if err != nil {
		return fmt.Errorf("delete connector entry: %w", err)
	}
	return nil
}

// Count implements ConnectorStore.
func (c *Connectors) Count(ctx context.Context, cfg string) (int64, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return 0, err
	}
	n, err := c.rdb.HLen(ctx, cdsKey(cfg)).Result()
	if err != nil {
		return 0, fmt.Errorf("count connector entries: %w", err)
	}
	return n, nil
}

// Scan implements ConnectorStore with HSCAN, so a 300k-entry store never
// blocks Redis or lands in memory at once.
func (c *Connectors) Scan(ctx context.Context, cfg string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if err := checkID("configuration id", cfg); err != nil {
			yield(Entry{}, err)
			return
		}
		var cursor uint64
		for {
			kv, next, err := c.rdb.HScan(ctx, cdsKey(cfg), cursor, "", int64(c.batch)).Result()
			if err != nil {
				yield(Entry{}, fmt.Errorf("scan connector entries: %w", err))
				return
			}
			for i := 0; i+1 < len(kv); i += 2 {
				e, err := decodeEntry(kv[i], []byte(kv[i+1]))
				if !yield(e, err) {
					return
				}
			}
			if cursor = next; cursor == 0 {
				return
			}
		}
	}
}

// Drop implements ConnectorStore; UNLINK frees the big hashes off the main
// thread.
func (c *Connectors) Drop(ctx context.Context, cfg string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if err := c.rdb.Unlink(ctx, cdsKey(cfg), cdsRevKey(cfg)).Err(); err != nil {
		return fmt.Errorf("drop connector entries: %w", err)
	}
	return nil
}
