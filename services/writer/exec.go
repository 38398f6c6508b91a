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
		results := a.sendAll(ctx, ready)
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
func (a *applier) sendAll(ctx context.Context, ready []*item) []sent {
	size := a.w.cfg.BatchSize
	out := make([]sent, (len(ready)+size-1)/size)
	sem := make(chan struct{}, a.w.cfg.BatchCalls)
	var wg sync.WaitGroup
	for i := range out {
		chunk := ready[i*size : min((i+1)*size, len(ready))]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := a.send(ctx, chunk)
			out[i] = sent{items: chunk, res: res, err: err}
		})
	}
	wg.Wait()
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
