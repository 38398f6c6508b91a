package redisx

import (
	"context"
	"iter"
	"time"
)

// Watermarks decorates a WatermarkStore. Commit is safe to repeat: the
// store accepts the repeat of a Commit that already landed.
func (r *Retry) Watermarks(s WatermarkStore) WatermarkStore { return retryWatermarks{s, r} }

// Connectors decorates a ConnectorStore; Put with the same Version is
// accepted again, so writes are safe to repeat.
func (r *Retry) Connectors(s ConnectorStore) ConnectorStore { return retryConnectors{s, r} }

// Escrows decorates an EscrowStore (RecordFailure passes through).
func (r *Retry) Escrows(s EscrowStore) EscrowStore { return retryEscrows{s, r} }

// Quarantines decorates a QuarantineStore (Enter passes through).
func (r *Retry) Quarantines(s QuarantineStore) QuarantineStore { return retryQuarantines{s, r} }

// Limiter decorates a RateLimiter; a repeated Reserve may take tokens
// twice, which errs on the side of the budget.
func (r *Retry) Limiter(s RateLimiter) RateLimiter { return retryLimiter{s, r} }

type retryWatermarks struct {
	s WatermarkStore
	r *Retry
}

func (w retryWatermarks) Get(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	return retry(ctx, w.r, func() (Watermark, error) { return w.s.Get(ctx, cfg, t) })
}

func (w retryWatermarks) Commit(ctx context.Context, cfg string, t ObjectType, rev uint64, next Watermark) (Watermark, error) {
	return retry(ctx, w.r, func() (Watermark, error) { return w.s.Commit(ctx, cfg, t, rev, next) })
}

func (w retryWatermarks) Reset(ctx context.Context, cfg string, t ObjectType) (Watermark, error) {
	return retry(ctx, w.r, func() (Watermark, error) { return w.s.Reset(ctx, cfg, t) })
}

type retryConnectors struct {
	s ConnectorStore
	r *Retry
}

func (c retryConnectors) Get(ctx context.Context, cfg, id string) (Entry, error) {
	return retry(ctx, c.r, func() (Entry, error) { return c.s.Get(ctx, cfg, id) })
}

func (c retryConnectors) GetMany(ctx context.Context, cfg string, ids []string) (map[string]Entry, error) {
	return retry(ctx, c.r, func() (map[string]Entry, error) { return c.s.GetMany(ctx, cfg, ids) })
}

func (c retryConnectors) SourceOf(ctx context.Context, cfg, target string) (string, error) {
	return retry(ctx, c.r, func() (string, error) { return c.s.SourceOf(ctx, cfg, target) })
}

func (c retryConnectors) Put(ctx context.Context, cfg string, e Entry) error {
	return retryErr(ctx, c.r, func() error { return c.s.Put(ctx, cfg, e) })
}

func (c retryConnectors) PutMany(ctx context.Context, cfg string, es []Entry) ([]error, error) {
	return retry(ctx, c.r, func() ([]error, error) { return c.s.PutMany(ctx, cfg, es) })
}

func (c retryConnectors) Delete(ctx context.Context, cfg, id string) error {
	return retryErr(ctx, c.r, func() error { return c.s.Delete(ctx, cfg, id) })
}

func (c retryConnectors) Count(ctx context.Context, cfg string) (int64, error) {
	return retry(ctx, c.r, func() (int64, error) { return c.s.Count(ctx, cfg) })
}

func (c retryConnectors) Scan(ctx context.Context, cfg string) iter.Seq2[Entry, error] {
	return c.s.Scan(ctx, cfg)
}

func (c retryConnectors) Drop(ctx context.Context, cfg string) error {
	return retryErr(ctx, c.r, func() error { return c.s.Drop(ctx, cfg) })
}

type retryEscrows struct {
	s EscrowStore
	r *Retry
}

func (e retryEscrows) RecordFailure(ctx context.Context, cfg, id, code, msg string) (int64, error) {
	return e.s.RecordFailure(ctx, cfg, id, code, msg)
}

func (e retryEscrows) Clear(ctx context.Context, cfg, id string) error {
	return retryErr(ctx, e.r, func() error { return e.s.Clear(ctx, cfg, id) })
}

func (e retryEscrows) List(ctx context.Context, cfg string) ([]Escrow, error) {
	return retry(ctx, e.r, func() ([]Escrow, error) { return e.s.List(ctx, cfg) })
}

func (e retryEscrows) ClearAll(ctx context.Context, cfg string) error {
	return retryErr(ctx, e.r, func() error { return e.s.ClearAll(ctx, cfg) })
}

type retryQuarantines struct {
	s QuarantineStore
	r *Retry
}

func (q retryQuarantines) Enter(ctx context.Context, cfg, reason, msg string, now time.Time) (Quarantine, error) {
	return q.s.Enter(ctx, cfg, reason, msg, now)
}

func (q retryQuarantines) Get(ctx context.Context, cfg string) (Quarantine, error) {
	return retry(ctx, q.r, func() (Quarantine, error) { return q.s.Get(ctx, cfg) })
}

func (q retryQuarantines) Release(ctx context.Context, cfg string) error {
	return retryErr(ctx, q.r, func() error { return q.s.Release(ctx, cfg) })
}

type retryLimiter struct {
	s RateLimiter
	r *Retry
}

func (l retryLimiter) Reserve(ctx context.Context, tenant string, n int) (time.Duration, error) {
	return retry(ctx, l.r, func() (time.Duration, error) { return l.s.Reserve(ctx, tenant, n) })
}

func (l retryLimiter) Wait(ctx context.Context, tenant string, n int) error {
	return retryErr(ctx, l.r, func() error { return l.s.Wait(ctx, tenant, n) })
}

func (l retryLimiter) Backoff(ctx context.Context, tenant string, d time.Duration) error {
	return retryErr(ctx, l.r, func() error { return l.s.Backoff(ctx, tenant, d) })
}

func (l retryLimiter) MaxWrites(ctx context.Context, tenant string) (int, error) {
	return retry(ctx, l.r, func() (int, error) { return l.s.MaxWrites(ctx, tenant) })
}
