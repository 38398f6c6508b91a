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
