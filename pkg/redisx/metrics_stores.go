package redisx

import (
	"context"
	"iter"
	"time"
)

// Watermarks decorates a WatermarkStore.
func (m *Metrics) Watermarks(s WatermarkStore) WatermarkStore { return metricWatermarks{s, m} }

// Connectors decorates a ConnectorStore.
func (m *Metrics) Connectors(s ConnectorStore) ConnectorStore { return metricConnectors{s, m} }

// Escrows decorates an EscrowStore.
func (m *Metrics) Escrows(s EscrowStore) EscrowStore { return metricEscrows{s, m} }

// Quarantines decorates a QuarantineStore.
func (m *Metrics) Quarantines(s QuarantineStore) QuarantineStore { return metricQuarantines{s, m} }

// Leases decorates Leases (acquisitions only; the leases themselves are
// returned as they are).
func (m *Metrics) Leases(s Leases) Leases { return metricLeases{s, m} }

// Limiter decorates a RateLimiter.
func (m *Metrics) Limiter(s RateLimiter) RateLimiter { return metricLimiter{s, m} }

type metricWatermarks struct {
	s WatermarkStore
	m *Metrics
}

func (w metricWatermarks) Get(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	return measure(ctx, w.m, "watermarks", "get", func() (Watermark, error) { return w.s.Get(ctx, cfg, t) })
}

func (w metricWatermarks) Commit(ctx context.Context, cfg string, t ObjectType, rev uint64, next Watermark) (Watermark, error) {
	return measure(ctx, w.m, "watermarks", "commit", func() (Watermark, error) { return w.s.Commit(ctx, cfg, t, rev, next) })
}

func (w metricWatermarks) Reset(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	return measure(ctx, w.m, "watermarks", "reset", func() (Watermark, error) { return w.s.Reset(ctx, cfg, t) })
}

type metricConnectors struct {
	s ConnectorStore
	m *Metrics
}

func (c metricConnectors) Get(ctx context.Context, cfg, id string) (Entry, error) {
	return measure(ctx, c.m, "connectors", "get", func() (Entry, error) { return c.s.Get(ctx, cfg, id) })
}

func (c metricConnectors) GetMany(ctx context.Context, cfg string, ids []string) (map[string]Entry, error) {
	return measure(ctx, c.m, "connectors", "get_many", func() (map[string]Entry, error) { return c.s.GetMany(ctx, cfg, ids) })
}

func (c metricConnectors) SourceOf(ctx context.Context, cfg, target string) (string, error) {
	return measure(ctx, c.m, "connectors", "source_of", func() (string, error) { return c.s.SourceOf(ctx, cfg, target) })
}

func (c metricConnectors) Put(ctx context.Context, cfg string, e Entry) error {
	return measureErr(ctx, c.m, "connectors", "put", func() error { return c.s.Put(ctx, cfg, e) })
}

func (c metricConnectors) PutMany(ctx context.Context, cfg string, es []Entry) ([]error, error) {
	return measure(ctx, c.m, "connectors", "put_many", func() ([]error, error) { return c.s.PutMany(ctx, cfg, es) })
}

func (c metricConnectors) Delete(ctx context.Context, cfg, id string) error {
	return measureErr(ctx, c.m, "connectors", "delete", func() error { return c.s.Delete(ctx, cfg, id) })
}

func (c metricConnectors) Count(ctx context.Context, cfg string) (int64, error) {
	return measure(ctx, c.m, "connectors", "count", func() (int64, error) { return c.s.Count(ctx, cfg) })
}

// Scan is recorded once, when the iteration ends.
func (c metricConnectors) Scan(ctx context.Context, cfg string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		start := time.Now()
		var last error
		for e, err := range c.s.Scan(ctx, cfg) {
			last = err
			if !yield(e, err) {
				break
			}
		}
		c.m.observe(ctx, "connectors", "scan", start, last)
	}
}

func (c metricConnectors) Drop(ctx context.Context, cfg string) error {
	return measureErr(ctx, c.m, "connectors", "drop", func() error { return c.s.Drop(ctx, cfg) })
}

type metricEscrows struct {
	s EscrowStore
	m *Metrics
}

func (e metricEscrows) RecordFailure(ctx context.Context, cfg, id, code, msg string) (int64, error) {
	return measure(ctx, e.m, "escrows", "record_failure", func() (int64, error) { return e.s.RecordFailure(ctx, cfg, id, code, msg) })
}

func (e metricEscrows) Clear(ctx context.Context, cfg, id string) error {
	return measureErr(ctx, e.m, "escrows", "clear", func() error { return e.s.Clear(ctx, cfg, id) })
}

func (e metricEscrows) List(ctx context.Context, cfg string) ([]Escrow, error) {
	return measure(ctx, e.m, "escrows", "list", func() ([]Escrow, error) { return e.s.List(ctx, cfg) })
}

func (e metricEscrows) ClearAll(ctx context.Context, cfg string) error {
	return measureErr(ctx, e.m, "escrows", "clear_all", func() error { return e.s.ClearAll(ctx, cfg) })
}

type metricQuarantines struct {
	s QuarantineStore
	m *Metrics
}

func (q metricQuarantines) Enter(ctx context.Context, cfg, reason, msg string, now time.Time) (Quarantine, error) {
	return measure(ctx, q.m, "quarantines", "enter", func() (Quarantine, error) { return q.s.Enter(ctx, cfg, reason, msg, now) })
}

func (q metricQuarantines) Get(ctx context.Context, cfg string) (Quarantine, error) {
	return measure(ctx, q.m, "quarantines", "get", func() (Quarantine, error) { return q.s.Get(ctx, cfg) })
}

func (q metricQuarantines) Release(ctx context.Context, cfg string) error {
	return measureErr(ctx, q.m, "quarantines", "release", func() error { return q.s.Release(ctx, cfg) })
}

type metricLeases struct {
	s Leases
	m *Metrics
}

func (l metricLeases) AcquireLeader(ctx context.Context, name string, ttl time.Duration) (Lease, error) {
	return measure(ctx, l.m, "leases", "acquire_leader", func() (Lease, error) { return l.s.AcquireLeader(ctx, name, ttl) })
}

func (l metricLeases) AcquireCycle(ctx context.Context, cfg string, ttl time.Duration) (Lease, error) {
	return measure(ctx, l.m, "leases", "acquire_cycle", func() (Lease, error) { return l.s.AcquireCycle(ctx, cfg, ttl) })
}

type metricLimiter struct {
	s RateLimiter
	m *Metrics
}

func (r metricLimiter) Reserve(ctx context.Context, tenant string, n int) (time.Duration, error) {
	return measure(ctx, r.m, "limiter", "reserve", func() (time.Duration, error) { return r.s.Reserve(ctx, tenant, n) })
}

func (r metricLimiter) Wait(ctx context.Context, tenant string, n int) error {
	return measureErr(ctx, r.m, "limiter", "wait", func() error { return r.s.Wait(ctx, tenant, n) })
}

func (r metricLimiter) Backoff(ctx context.Context, tenant string, d time.Duration) error {
	return measureErr(ctx, r.m, "limiter", "backoff", func() error { return r.s.Backoff(ctx, tenant, d) })
}

func (r metricLimiter) MaxWrites(ctx context.Context, tenant string) (int, error) {
	return measure(ctx, r.m, "limiter", "max_writes", func() (int, error) { return r.s.MaxWrites(ctx, tenant) })
}
