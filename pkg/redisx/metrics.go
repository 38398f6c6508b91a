package redisx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metrics decorates the stores with one counter and one latency histogram,
// labelled by store, operation and outcome (a sentinel's name, so a storm of
// CAS conflicts is visible apart from Redis failures).
type Metrics struct {
	ops metric.Int64Counter
	dur metric.Float64Histogram
}

// NewMetrics creates the instruments on mp's meter "xtsync/redisx".
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	m := mp.Meter("github.com/xtsync/xtsync/pkg/redisx")
	ops, err := m.Int64Counter("xtsync.redis.store.operations",
		metric.WithDescription("Store operations by store, op and outcome."))
	if err != nil {
		return nil, fmt.Errorf("create counter: %w", err)
	}
	dur, err := m.Float64Histogram("xtsync.redis.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Store operation latency."),
		metric.WithExplicitBucketBoundaries(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
	if err != nil {
		return nil, fmt.Errorf("create histogram: %w", err)
	}
	return &Metrics{ops: ops, dur: dur}, nil
}

// Outcome names an error for metrics and logs: ok, a sentinel's short name,
// canceled, or error.
func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrNotLeader):
		return "not_leader"
	case errors.Is(err, ErrLocked):
		return "locked"
	case errors.Is(err, ErrLeaseLost):
		return "lease_lost"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	default:
		return "error"
	}
}

func (m *Metrics) observe(ctx context.Context, store, op string, start time.Time, err error) {
	set := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("store", store), attribute.String("op", op), attribute.String("outcome", Outcome(err))))
	m.ops.Add(ctx, 1, set)
	m.dur.Record(ctx, time.Since(start).Seconds(), set)
}

// measure runs f and records it; the generic shape keeps each decorated
// method one line.
func measure[T any](ctx context.Context, m *Metrics, store, op string, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	m.observe(ctx, store, op, start, err)
	return v, err
}

func measureErr(ctx context.Context, m *Metrics, store, op string, f func() error) error {
	_, err := measure(ctx, m, store, op, func() (struct{}, error) { return struct{}{}, f() })
	return err
}
