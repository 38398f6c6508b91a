package redisx

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// recordScript increments one object's failure count and keeps the first
// failure time. KEYS[1] escrow hash; ARGV objectID, code, msg, now (ms).
// Returns the new count.
var recordScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local e = {count = 0, first = tonumber(ARGV[4])}
if old then e = cjson.decode(old) end
e.count = e.count + 1
e.code, e.msg, e.last = ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return e.count
`)

// Escrows is the Redis EscrowStore: one hash per configuration, object id →
// JSON record. Escrows are few (they are failures), so List reads them all.
type Escrows struct {
	rdb redis.UniversalClient
	now func() time.Time
}

var _ EscrowStore = (*Escrows)(nil)

// NewEscrows returns the Redis escrow store.
func NewEscrows(rdb redis.UniversalClient) *Escrows {
	return &Escrows{rdb: rdb, now: time.Now}
}

type escrowJSON struct {
	Count int64  `json:"count"`
	Code  string `json:"code"`
	Msg   string `json:"msg"`
	First int64  `json:"first"`
	Last  int64  `json:"last"`
}

// RecordFailure implements EscrowStore. It is not idempotent: a retry after
// a lost reply counts the failure twice, so the retry decorator leaves it.
func (s *Escrows) RecordFailure(ctx context.Context, cfg, objectID, code, msg string) (int64, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return 0, err
	}
	if err := checkID("object id", objectID); err != nil {
		return 0, err
	}
	n, err := recordScript.Run(ctx, s.rdb, []string{escrowKey(cfg)},
		objectID, code, msg, s.now().UnixMilli()).Int64()
	if err != nil {
		return 0, fmt.Errorf("record failure: %w", err)
	}
	return n, nil
}

// Clear implements EscrowStore.
func (s *Escrows) Clear(ctx context.Context, cfg, objectID string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if err := s.rdb.HDel(ctx, escrowKey(cfg), objectID).Err(); err != nil {
		return fmt.Errorf("clear escrow: %w", err)
	}
	return nil
}

// ClearMany is Clear of many objects in one HDEL (synclog clears every
// object of a batch that succeeded).
func (s *Escrows) ClearMany(ctx context.Context, cfg string, objectIDs ...string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if len(objectIDs) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, escrowKey(cfg), objectIDs...).Err(); err != nil {
		return fmt.Errorf("clear %d escrows: %w", len(objectIDs), err)
	}
	return nil
}

// List implements EscrowStore.
func (s *Escrows) List(ctx context.Context, cfg string) ([]Escrow, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return nil, err
	}
	all, err := s.rdb.HGetAll(ctx, escrowKey(cfg)).Result()
	if err != nil {
		return nil, fmt.Errorf("list escrows: %w", err)
	}
	out := make([]Escrow, 0, len(all))
	for id, v := range all {
		var j escrowJSON
		if err := json.Unmarshal([]byte(v), &j); err != nil {
			return nil, fmt.Errorf("decode escrow %q: %w", id, err)
		}
		out = append(out, Escrow{ObjectID: id, Count: j.Count, Code: j.Code, Message: j.Msg,
			FirstSeen: time.UnixMilli(j.First).UTC(), LastSeen: time.UnixMilli(j.Last).UTC()})
	}
	slices.SortFunc(out, func(a, b Escrow) int { return strings.Compare(a.ObjectID, b.ObjectID) })
	return out, nil
}

// ClearAll implements EscrowStore.
func (s *Escrows) ClearAll(ctx context.Context, cfg string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if err := s.rdb.Unlink(ctx, escrowKey(cfg)).Err(); err != nil {
		return fmt.Errorf("clear escrows: %w", err)
	}
	return nil
}
