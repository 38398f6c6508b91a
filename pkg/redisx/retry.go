package redisx

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/redis/go-redis/v9"
)

// RetryPolicy bounds the retries of transient Redis errors (a failover, a
// restart, a server still loading its AOF). go-redis already retries a
// command on a broken connection a few times; this covers the longer
// outages, up to MaxElapsed.
type RetryPolicy struct {
	Initial    time.Duration // first wait (default 50ms), doubling, jittered
	Max        time.Duration // longest wait (default 2s)
	MaxElapsed time.Duration // give up after (default 15s)
}

// Retry decorates stores so that idempotent operations survive transient
// errors. Non-idempotent ones pass through: EscrowStore.RecordFailure (a
// repeat counts twice), QuarantineStore.Enter (a repeat doubles the back-off
// again), Leases (a lost reply leaves a lock the caller does not know it
// holds; it expires) and ConnectorStore.Scan (a cursor cannot be resumed
// through the interface).
type Retry struct{ p RetryPolicy }

// NewRetry returns the retry decorator; zero fields take their defaults.
func NewRetry(p RetryPolicy) *Retry {
	if p.Initial <= 0 {
		p.Initial = 50 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 2 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 15 * time.Second
	}
	return &Retry{p: p}
}

// IsTransient reports whether err may go away by itself: network errors,
// a closed or reset connection, and the Redis replies that mean "not now"
// (LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY after a failover,
// BUSY script). Sentinels and context errors are never transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, redis.Nil) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	for _, s := range []error{ErrNotFound, ErrConflict, ErrNotLeader, ErrLocked, ErrLeaseLost, ErrInvalid, errCorrupt} {
		if errors.Is(err, s) {
			return false
		}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	for _, p := range []string{"LOADING", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "BUSY"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

func retry[T any](ctx context.Context, r *Retry, f func() (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = r.p.Initial, r.p.Max
	return backoff.Retry(ctx, func() (T, error) {
		v, err := f()
		if err != nil && !IsTransient(err) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(r.p.MaxElapsed))
}

func retryErr(ctx context.Context, r *Retry, f func() error) error {
	_, err := retry(ctx, r, func() (struct{}, error) { return struct{}{}, f() })
	return err
}
