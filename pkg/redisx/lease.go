package redisx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"
)

// Lease layout: the lock key (redislock) holds "<random token>:<fence>";
// the fence key is an INCR counter, bumped before every acquisition attempt
// so fences only grow. A holder is valid while the lock key still holds its
// exact value, which Check asks Redis.

// LeaseManager is the Redis Leases implementation on bsm/redislock.
type LeaseManager struct {
	rdb   redis.UniversalClient
	locks *redislock.Client
}

var _ Leases = (*LeaseManager)(nil)

// NewLeases returns the Redis lease manager.
func NewLeases(rdb redis.UniversalClient) *LeaseManager {
	return &LeaseManager{rdb: rdb, locks: redislock.New(rdb)}
}

// AcquireLeader implements Leases.
func (m *LeaseManager) AcquireLeader(ctx context.Context, name string, ttl time.Duration) (Lease, error) {
	if err := checkID("lease name", name); err != nil {
		return nil, err
	}
	return m.acquire(ctx, leaderLockKey(name), leaderFenceKey(name), ttl, ErrNotLeader)
}

// AcquireCycle implements Leases.
func (m *LeaseManager) AcquireCycle(ctx context.Context, cfg string, ttl time.Duration) (Lease, error) {
	if err := checkID("configuration id", cfg); err != nil {
		return nil, err
	}
	return m.acquire(ctx, cycleLockKey(cfg), cycleFenceKey(cfg), ttl, ErrLocked)
}

func (m *LeaseManager) acquire(ctx context.Context, lockKey, fenceKey string, ttl time.Duration, held error) (Lease, error) {
	if ttl < 30*time.Millisecond {
		return nil, fmt.Errorf("%w: lease ttl %v below 30ms", ErrInvalid, ttl)
	}
	fence, err := m.rdb.Incr(ctx, fenceKey).Uint64()
	if err != nil {
		return nil, fmt.Errorf("acquire %s: fence: %w", lockKey, err)
	}
	lock, err := m.locks.Obtain(ctx, lockKey, ttl, &redislock.Options{Metadata: ":" + strconv.FormatUint(fence, 10)})
	if errors.Is(err, redislock.ErrNotObtained) {
		return nil, fmt.Errorf("acquire %s: %w", lockKey, held)
	}
	if err != nil {
		return nil, fmt.Errorf("acquire %s: %w", lockKey, err)
	}
	l := &lease{rdb: m.rdb, lock: lock, fence: fence, ttl: ttl, done: make(chan struct{})}
	// The lease context ends with ctx: the caller's ctx owns the refresher
	// goroutine, and context.Cause tells lost (ErrLeaseLost) from released.
	l.ctx, l.cancel = context.WithCancelCause(ctx)
	go l.refresh()
	return l, nil
}

type lease struct {
	rdb    redis.UniversalClient
	lock   *redislock.Lock
	fence  uint64
	ttl    time.Duration
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}
	once   sync.Once
}

func (l *lease) Fence() uint64            { return l.fence }
func (l *lease) Context() context.Context { return l.ctx }

// Check asks Redis whether the lock still holds this lease's value.
func (l *lease) Check(ctx context.Context) error {
	v, err := l.rdb.Get(ctx, l.lock.Key()).Result()
	if errors.Is(err, redis.Nil) || (err == nil && v != l.lock.Token()+l.lock.Metadata()) {
		return fmt.Errorf("lease %s fence %d: %w", l.lock.Key(), l.fence, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	return nil
}

// refresh extends the lock every ttl/3. A refused refresh, or no successful
// refresh for a whole ttl (Redis unreachable), ends the lease: by then
// another replica may hold it.
func (l *lease) refresh() {
	defer close(l.done)
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-l.ctx.Done():
			l.release()
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(l.ctx, l.ttl/3)
		err := l.lock.Refresh(ctx, l.ttl, nil)
		cancel()
		switch {
		case err == nil:
			lastOK = time.Now()
		case errors.Is(err, redislock.ErrNotObtained):
			l.cancel(ErrLeaseLost)
		case time.Since(lastOK) >= l.ttl:
			l.cancel(fmt.Errorf("%w: refresh: %w", ErrLeaseLost, err))
		}
	}
}

// release frees the lock with a short context of its own: the lease's
// context is already done when this runs.
func (l *lease) release() {
	l.once.Do(func() {
		if context.Cause(l.ctx) != nil && errors.Is(context.Cause(l.ctx), ErrLeaseLost) {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), time.Second)
		defer cancel()
		_ = l.lock.Release(ctx) // ErrLockNotHeld: already expired, fine
	})
}

// Release implements Lease and waits for the refresher to stop.
func (l *lease) Release(ctx context.Context) error {
	l.cancel(errReleased)
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("release lease: %w", ctx.Err())
	}
}

var errReleased = errors.New("redisx: lease released")
