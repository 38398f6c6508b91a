package redisx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// QuarantinePolicy is the back-off of a quarantined job. The defaults follow
// Entra's documented behaviour ("application provisioning in quarantine
// status"): cycles become gradually rarer, down to once a day, and a job
// quarantined for more than four weeks is disabled.
type QuarantinePolicy struct {
	// First is the wait after the first imposition; each re-imposition in
	// the same series doubles it, up to Max.
	First time.Duration
	Max   time.Duration
	// DisableAfter: a series older than this is reported Expired.
	DisableAfter time.Duration
}

// DefaultQuarantinePolicy is 1h, 2h, 4h, 8h, 16h, then 24h; 28 days.
var DefaultQuarantinePolicy = QuarantinePolicy{First: time.Hour, Max: 24 * time.Hour, DisableAfter: 28 * 24 * time.Hour}

// enterScript: KEYS[1] quarantine; ARGV reason, msg, now ms, first ms, max ms.
// Returns the stored JSON.
var enterScript = redis.NewScript(`
local now, d, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local old = redis.call('GET', KEYS[1])
local q
if old then
  q = cjson.decode(old)
  q.seriesCount = q.seriesCount + 1
else
  q = {seriesBegan = now, seriesCount = 0}
end
for i = 1, q.seriesCount do
  d = d * 2
  if d >= cap then break end
end
if d > cap then d = cap end
q.reason, q.msg, q.currentBegan, q.nextAttempt = ARGV[1], ARGV[2], now, now + d
local s = cjson.encode(q)
redis.call('SET', KEYS[1], s)
return s
`)

// Quarantines is the Redis QuarantineStore: one JSON string per
// configuration, without TTL (a quarantine ends only by Release).
type Quarantines struct {
	rdb    redis.UniversalClient
	policy QuarantinePolicy
}

var _ QuarantineStore = (*Quarantines)(nil)

// NewQuarantines returns the Redis quarantine store; a zero policy field
// takes its default.
func NewQuarantines(rdb redis.UniversalClient, p QuarantinePolicy) *Quarantines {
	d := DefaultQuarantinePolicy
	if p.First <= 0 {
		p.First = d.First
	}
	if p.Max <= 0 {
		p.Max = max(d.Max, p.First)
	}
	if p.DisableAfter <= 0 {
		p.DisableAfter = d.DisableAfter
	}
	return &Quarantines{rdb: rdb, policy: p}
}

type quarantineJSON struct {
	Reason       string `json:"reason"`
	Msg          string `json:"msg"`
	SeriesBegan  int64  `json:"seriesBegan"`
	CurrentBegan int64  `json:"currentBegan"`
	NextAttempt  int64  `json:"nextAttempt"`
	SeriesCount  int64  `json:"seriesCount"`
}

// Enter implements QuarantineStore. Not idempotent (a repeat doubles the
// back-off once more), so the retry decorator leaves it.
func (s *Quarantines) Enter(ctx context.Context, cfg, reason, msg string, now time.Time) (Quarantine, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return Quarantine{}, err
	}
	if reason == "" {
		return Quarantine{}, fmt.Errorf("%w: empty quarantine reason", ErrInvalid)
	}
	raw, err := enterScript.Run(ctx, s.rdb, []string{quarantineKey(cfg)}, reason, msg,
		now.UnixMilli(), s.policy.First.Milliseconds(), s.policy.Max.Milliseconds()).Text()
	if err != nil {
		return Quarantine{}, fmt.Errorf("enter quarantine: %w", err)
	}
	return s.decode(raw, now)
}

// Get implements QuarantineStore.
func (s *Quarantines) Get(ctx context.Context, cfg string) (Quarantine, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return Quarantine{}, err
	}
	raw, err := s.rdb.Get(ctx, quarantineKey(cfg)).Result()
	if errors.Is(err, redis.Nil) {
		return Quarantine{}, fmt.Errorf("quarantine of %s: %w", cfg, ErrNotFound)
	}
	if err != nil {
		return Quarantine{}, fmt.Errorf("get quarantine: %w", err)
	}
	return s.decode(raw, time.Now())
}

// Release implements QuarantineStore.
func (s *Quarantines) Release(ctx context.Context, cfg string) error {
	if err := checkID("configuration id", cfg); err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, quarantineKey(cfg)).Err(); err != nil {
		return fmt.Errorf("release quarantine: %w", err)
	}
	return nil
}

func (s *Quarantines) decode(raw string, now time.Time) (Quarantine, error) {
	var j quarantineJSON
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return Quarantine{}, fmt.Errorf("decode quarantine: %w", err)
	}
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	q := Quarantine{Reason: j.Reason, Message: j.Msg, SeriesBegan: ms(j.SeriesBegan),
		CurrentBegan: ms(j.CurrentBegan), NextAttempt: ms(j.NextAttempt), SeriesCount: j.SeriesCount}
	q.Expired = now.Sub(q.SeriesBegan) > s.policy.DisableAfter
	return q, nil
}
