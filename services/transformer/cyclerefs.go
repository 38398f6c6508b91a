package transformer

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// CycleRefs keeps the users of a cycle whose manager did not resolve when
// they were decided (the manager was not written yet), until the reader's
// references round, which runs after the cycle's users are written
// (doc.go, "References round"):
//
//	xtsync:{<cfg>}:cycle:<id>:refs  HASH  user id -> observed_at (20 digits, unix ns) + SourceChange (protobuf)
//
// Same store as CycleGroups: the latest observed change of a user wins.
// The hash holds whole changes (a 300,000-user initial cycle: ~300 MB), so
// it is dropped once the cycle's CycleEnd is decided (the references round
// ran before the reader published it); a cycle stopped before its end
// leaves it to expire with the other per-cycle state (Config.CycleStateTTL).
type CycleRefs struct {
	s *CycleGroups
}

// NewCycleRefs returns the Redis store; ttl is the hash's expiry.
func NewCycleRefs(rdb redis.UniversalClient, ttl time.Duration) *CycleRefs {
	return &CycleRefs{s: &CycleGroups{rdb: rdb, ttl: ttl, hash: "refs"}}
}

// store records the changes decided with a manager left unresolved.
// Idempotent: the same batch again stores the same values.
func (r *CycleRefs) store(ctx context.Context, cfg, cycle string, changes []*eventsv1.SourceChange) error {
	return r.s.store(ctx, cfg, cycle, changes)
}

// List returns the stored changes of the cycle, by user id.
func (r *CycleRefs) List(ctx context.Context, cfg, cycle string) ([]*eventsv1.SourceChange, error) {
	return r.s.List(ctx, cfg, cycle)
}

// drop deletes the cycle's hash. Idempotent.
func (r *CycleRefs) drop(ctx context.Context, cfg, cycle string) error {
	if err := r.s.rdb.Del(ctx, cycleKey(cfg, cycle, r.s.hash)).Err(); err != nil {
		return fmt.Errorf("drop the unresolved references of cycle %s: %w", cycle, err)
	}
	return nil
}
