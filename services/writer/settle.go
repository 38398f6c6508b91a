package writer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// errThrottledOut makes the IntentBatch retry later as a whole when one
// request keeps getting 429s.
var errThrottledOut = errors.New("writer: still throttled after the retry budget")

// settle applies the answers of one $batch call to their tasks.
func (a *applier) settle(ctx context.Context, s sent, owner map[*item]*task) error {
	if s.err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case graph.IsThrottled(s.err):
			var ge *graph.Error
			errors.As(s.err, &ge)
			for _, it := range s.items {
				if err := a.throttle(ctx, it, ge.RetryAfter); err != nil {
					return err
				}
			}
			return nil
		case graph.IsTransient(s.err):
			for _, it := range s.items {
				a.retryTransient(owner[it], it, s.err.Error())
			}
			return nil
		}
		// Authentication, a refused envelope, Redis: the batch retries.
		return s.err
	}
	for i, it := range s.items {
		t := owner[it]
		res := s.res[i]
		t.attempts++
		switch {
		case res.Err == nil && res.Status < 400:
			t.remove(it)
			if it.ok != nil {
				it.ok(res)
			}
		case it.accept != nil && it.accept(res):
			t.remove(it)
			if it.ok != nil {
				it.ok(res)
			}
		case res.Status == http.StatusTooManyRequests:
			if err := a.throttle(ctx, it, res.RetryAfter); err != nil {
				return err
			}
		case transient(res.Status):
			a.retryTransient(t, it, errText(res))
		default:
			t.remove(it)
			t.failWith(codeOf(res.Err), fmt.Sprintf("%s %s: %s", it.req.Method, it.req.URL, errText(res)))
		}
	}
	return nil
}

// throttle pauses every writer of the tenant for Retry-After and leaves the
// item pending: the next round's limiter Wait sits out the pause.
func (a *applier) throttle(ctx context.Context, it *item, retryAfter time.Duration) error {
	a.mu.Lock()
	a.throttled++
	a.mu.Unlock()
	a.w.m.throttled.Add(ctx, 1, a.w.m.tenantAttr(a.tenant))
	if retryAfter <= 0 {
		retryAfter = a.w.cfg.Retry.DefaultRetryAfter
	}
	if err := a.w.d.Limiter.Backoff(ctx, a.tenant, retryAfter); err != nil {
		return fmt.Errorf("pause tenant %s: %w", a.tenant, err)
	}
	it.throttled++
	it.attempts-- // a 429 is not a failed attempt
	if it.throttled > a.w.cfg.Retry.MaxThrottled {
		return errThrottledOut
	}
	return nil
}

func (a *applier) retryTransient(t *task, it *item, msg string) {
	if it.attempts >= a.w.cfg.Retry.MaxAttempts {
		t.remove(it)
		t.failWith(CodeGraphUnavailable, fmt.Sprintf("%s %s after %d attempts: %s", it.req.Method, it.req.URL, it.attempts, msg))
		return
	}
	it.notBefore = time.Now().Add(it.bo.NextBackOff())
}

func errText(res graph.BatchResult) string {
	if res.Err != nil {
		return res.Err.Error()
	}
	return fmt.Sprintf("status %d", res.Status)
}
