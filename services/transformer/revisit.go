package transformer

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Revisits are the source objects the reader must read again although
// Graph's delta will not return them, because their decision depends on
// something else that changed:
//
//   - a user who joined or left an assigned group (the group's change
//     arrived, the user's own object did not change);
//   - an object whose manager or members were not provisioned yet (Entra
//     resolves such references "in a later cycle"; a delta cycle would
//     never bring the object back).
//
// The transformer adds to xtsync:{<cfg>}:revisit and removes every object
// it decides without a pending reference; the reader reads the set at the
// start of a cycle, publishes those objects (GET by id) as UPSERT changes,
// and never removes ids itself: processing them clears them.
type Revisits struct {
	rdb redis.UniversalClient
}

// NewRevisits returns the Redis revisit set.
func NewRevisits(rdb redis.UniversalClient) *Revisits { return &Revisits{rdb: rdb} }

// List returns the object ids to read again (unordered).
func (r *Revisits) List(ctx context.Context, cfg string) ([]string, error) {
	if err := checkIDs(cfg); err != nil {
		return nil, err
	}
	ids, err := r.rdb.SMembers(ctx, revisitKey(cfg)).Result()
	if err != nil {
		return nil, fmt.Errorf("list revisits of %s: %w", cfg, err)
	}
	return ids, nil
}

// update records the batch's outcome in one round trip: pending ids in,
// resolved ids out.
func (r *Revisits) update(ctx context.Context, cfg string, pending, resolved []string) error {
	if len(pending) == 0 && len(resolved) == 0 {
		return nil
	}
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(resolved) > 0 {
			p.SRem(ctx, revisitKey(cfg), toAny(resolved)...)
		}
		if len(pending) > 0 {
			p.SAdd(ctx, revisitKey(cfg), toAny(pending)...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update revisits of %s: %w", cfg, err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// waitsKey is the SET of users waiting for manager mgr to be provisioned.
func waitsKey(cfg, mgr string) string { return "xtsync:{" + cfg + "}:manager-waits:" + mgr }

// wait records users whose manager the references round could not
// resolve: every user of the cycle was written by then, so the manager is
// out of scope (or its write failed, then escrow retries it). They leave
// the revisit set, so later cycles do not read them again for nothing,
// until their manager is provisioned (provisioned).
func (r *Revisits) wait(ctx context.Context, cfg string, byManager map[string][]string) error {
	if len(byManager) == 0 {
		return nil
	}
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for mgr, users := range byManager {
			p.SAdd(ctx, waitsKey(cfg, mgr), toAny(users)...)
			p.SRem(ctx, revisitKey(cfg), toAny(users)...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d managers waited for in %s: %w", len(byManager), cfg, err)
	}
	return nil
}

// provisionedScript moves the users waiting for each manager into the
// revisit set. KEYS: revisit set, then one waits set per manager.
var provisionedScript = redis.NewScript(`
local n = 0
for i = 2, #KEYS do
  local users = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #users, 1000 do
    redis.call('SADD', KEYS[1], unpack(users, j, math.min(j + 999, #users)))
  end
  n = n + #users
  redis.call('DEL', KEYS[i])
end
return n
`)

// provisioned queues for a revisit the users waiting for these users as
// their manager (wait): they are being created or restored, so the next
// cycle resolves the reports' manager.
func (r *Revisits) provisioned(ctx context.Context, cfg string, managers []string) error {
	if len(managers) == 0 {
		return nil
	}
	keys := make([]string, 0, len(managers)+1)
	keys = append(keys, revisitKey(cfg))
	for _, m := range managers {
		keys = append(keys, waitsKey(cfg, m))
	}
	if err := provisionedScript.Run(ctx, r.rdb, keys).Err(); err != nil {
		return fmt.Errorf("revisit the reports of %d provisioned users of %s: %w", len(managers), cfg, err)
	}
	return nil
}
