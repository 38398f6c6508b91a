package writer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// applier is one Apply call against one target tenant.
type applier struct {
	w      *Writer
	tgt    graph.Target
	tenant string
	cfgID  string
	cycle  string
	refs   refBuilder

	refusedOnce sync.Once

	mu        sync.Mutex
	throttled int // 429s seen
	waited    time.Duration
}

// refBuilder is implemented by *graph.Client: $ref bodies carry absolute
// URLs under the client's GraphURL.
type refBuilder interface {
	AddMemberRequest(id, groupID, memberID string) graph.BatchRequest
}

// refURL is the @odata.id of a directory object.
func (a *applier) refURL(id string) string {
	if a.refs != nil {
		if m, ok := a.refs.AddMemberRequest("", "g", id).Body.(map[string]any); ok {
			if s, ok := m["@odata.id"].(string); ok {
				return s
			}
		}
	}
	return graph.DefaultGraphURL + "/directoryObjects/" + id
}

func (a *applier) newItem(req graph.BatchRequest, ok func(graph.BatchResult), accept func(graph.BatchResult) bool) *item {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = a.w.cfg.Retry.InitialInterval
	bo.MaxInterval = a.w.cfg.Retry.MaxInterval
	return &item{req: req, ok: ok, accept: accept, bo: bo}
}

type sent struct {
	items []*item
	res   []graph.BatchResult
	err   error
	// paused: the tenant's pause for a 429 in the answer failed (Redis).
	paused error
}

// run sends the pending items of tasks in rounds of $batch calls until
// every task is done. It returns an error only for what must make the whole
// IntentBatch retry (context, Redis).
func (a *applier) run(ctx context.Context, tasks []*task) error {
	owner := map[*item]*task{}
	for {
		now := time.Now()
		var ready []*item
		var wake time.Time
		for _, t := range tasks {
			for _, it := range t.pending {
				owner[it] = t
				if !it.notBefore.After(now) {
					ready = append(ready, it)
				} else if wake.IsZero() || it.notBefore.Before(wake) {
					wake = it.notBefore
				}
			}
		}
		if len(ready) == 0 {
			if wake.IsZero() {
				return nil
			}
			if err := sleep(ctx, time.Until(wake)); err != nil {
				return err
			}
			continue
		}
		results, err := a.sendAll(ctx, ready)
		if err != nil {
			return err
		}
		for _, s := range results {
			if err := a.settle(ctx, s, owner); err != nil {
				return err
			}
		}
		for _, t := range tasks {
			if !t.done {
				t.advance()
			}
		}
	}
}

// sendAll splits ready into $batch calls and runs up to BatchCalls of them
// at once.
func (a *applier) sendAll(ctx context.Context, ready []*item) ([]sent, error) {
	maxWrites := a.w.cfg.BatchSize
	if hasWrites(ready) {
		n, err := a.w.d.Limiter.MaxWrites(ctx, a.tenant)
		if err != nil {
			return nil, fmt.Errorf("write budget of tenant %s: %w", a.tenant, err)
		}
		maxWrites = n
	}
	chunks := splitBatches(ready, a.w.cfg.BatchSize, maxWrites)
	out := make([]sent, len(chunks))
	sem := make(chan struct{}, a.w.cfg.BatchCalls)
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := a.send(ctx, chunk)
			out[i] = sent{items: chunk, res: res, err: err, paused: a.pause(ctx, res, err)}
		})
	}
	wg.Wait()
	return out, nil
}

func hasWrites(items []*item) bool {
	for _, it := range items {
		if it.writes() > 0 {
			return true
		}
	}
	return false
}

// splitBatches splits items, in order, into $batch calls of at most size requests
// and maxWrites writes (the limiter's MaxWrites: fewer while the tenant
// is throttled, so that one call's writes do not need the tenant's whole
// burst at once).
func splitBatches(items []*item, size, maxWrites int) [][]*item {
	maxWrites = max(1, maxWrites)
	var out [][]*item
	start, writes := 0, 0
	for i, it := range items {
		w := it.writes()
		if i-start == size || (w > 0 && writes+w > maxWrites) {
			out = append(out, items[start:i])
			start, writes = i, 0
		}
		writes += w
	}
	if start < len(items) {
		out = append(out, items[start:])
	}
	return out
}

// send takes the chunk's write tokens from the tenant's shared budget, then
// sends one $batch.
func (a *applier) send(ctx context.Context, chunk []*item) ([]graph.BatchResult, error) {
	writes := 0
	reqs := make([]graph.BatchRequest, len(chunk))
	for i, it := range chunk {
		writes += it.writes()
		reqs[i] = it.req
		reqs[i].ID = strconv.Itoa(i + 1)
		it.attempts++
	}
	ctx, span := a.w.tracer.Start(ctx, "graph $batch", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String(keyConfig, a.cfgID), attribute.String(keyCycle, a.cycle),
			attribute.String(keyTenant, a.tenant), attribute.Int("xtsync.requests", len(reqs)),
			attribute.Int("xtsync.writes", writes)))
	defer span.End()
	if writes > 0 {
		start := time.Now()
		if err := a.w.d.Limiter.Wait(ctx, a.tenant, writes); err != nil {
			span.RecordError(err)
			return nil, fmt.Errorf("take %d write tokens of tenant %s: %w", writes, a.tenant, err)
		}
		waited := time.Since(start)
		a.w.m.limiterWait.Record(ctx, waited.Seconds(), a.w.m.tenantAttr(a.tenant))
		span.SetAttributes(attribute.Float64("xtsync.limiter_wait_seconds", waited.Seconds()))
		a.mu.Lock()
		a.waited += waited
		a.mu.Unlock()
	}
	start := time.Now()
	res, err := a.tgt.Batch(ctx, reqs)
	a.w.m.graphLatency.Record(ctx, time.Since(start).Seconds(), a.w.m.tenantAttr(a.tenant))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "batch failed")
		return nil, err
	}
	n429 := 0
	for _, r := range res {
		if r.Status == http.StatusTooManyRequests {
			n429++
		}
	}
	span.SetAttributes(attribute.Int("xtsync.throttled", n429))
	return res, nil
}

// pause pauses every writer of the tenant for the longest Retry-After of
// a 429 in one $batch answer, as soon as it arrives: the round's other
// calls are still being granted and sent, and a pause (and the lowered
// rate) that waited for the whole round came seconds late and each late
// 429 counted as a new collision (BENCHMARKS.md finding (b)).
func (a *applier) pause(ctx context.Context, res []graph.BatchResult, err error) error {
	var after time.Duration
	throttled := false
	if err != nil {
		if class, ge := classifyEnvelope(ctx, err); class == envThrottled {
			throttled, after = true, ge.RetryAfter
		}
	}
	for _, r := range res {
		if r.Status == http.StatusTooManyRequests {
			throttled, after = true, max(after, r.RetryAfter)
		}
	}
	if !throttled {
		return nil
	}
	if after <= 0 {
		after = a.w.cfg.Retry.DefaultRetryAfter
	}
	if err := a.w.d.Limiter.Backoff(ctx, a.tenant, after); err != nil {
		return fmt.Errorf("pause tenant %s: %w", a.tenant, err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
