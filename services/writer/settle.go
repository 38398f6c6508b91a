package writer

import (
	"context"
	"fmt"
	"net/http"
	"time"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// settle applies the answers of one $batch call to their tasks. It returns
// an error only when the failure is not Graph's (the shared budget in
// Redis): every Graph failure ends as a retry or an outcome, so a target
// that refuses us never blocks the shard.
func (a *applier) settle(ctx context.Context, s sent, owner map[*item]*task) error {
	if s.paused != nil {
		return s.paused
	}
	if s.err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		class, ge := classifyEnvelope(ctx, s.err)
		for _, it := range s.items {
			t := owner[it]
			switch class {
			case envRetryBatch:
				return s.err
			case envThrottled:
				a.throttle(ctx, t, it)
			case envTransient:
				code := CodeGraphUnavailable
				if ge.Auth {
					// The authority stayed unreachable: no token, no writes.
					code = CodeAuthorizationDenied
				}
				a.retryTransient(t, it, code, ge.RetryAfter, s.err.Error())
			case envDenied:
				t.remove(it)
				t.failWith(CodeAuthorizationDenied, fmt.Sprintf("%s %s: %v", it.req.Method, it.req.URL, s.err))
			default:
				t.remove(it)
				t.failWith(codeOf(ge), fmt.Sprintf("%s %s: $batch refused: %v", it.req.Method, it.req.URL, s.err))
			}
		}
		return nil
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
			a.throttle(ctx, t, it)
		case transient(res.Status):
			a.retryTransient(t, it, CodeGraphUnavailable, res.RetryAfter, errText(res))
		default:
			t.remove(it)
			code := codeOf(res.Err)
			msg := fmt.Sprintf("%s %s: %s", it.req.Method, it.req.URL, errText(res))
			if code == rules.InvalidAnchor && a.objectGone(t, it) {
				t.gone = true
				msg = fmt.Sprintf("target object %s no longer exists (%s); its connector entry is dropped so a later cycle creates it again, matching first", t.targetID, msg)
			}
			t.failWith(code, msg)
		}
	}
	return nil
}

// objectGone: a 404 on the object itself (not a reference) while updating
// or disabling it means someone deleted it in the target.
func (a *applier) objectGone(t *task, it *item) bool {
	switch t.in.GetAction() {
	case eventsv1.WriteAction_WRITE_ACTION_UPDATE, eventsv1.WriteAction_WRITE_ACTION_DISABLE:
		return it.req.Method == http.MethodPatch && it.req.URL == objectPath(t.user, t.targetID)
	}
	return false
}

// throttle leaves a 429'd item pending: its answer already paused every
// writer of the tenant for Retry-After (pause), and the next round's
// limiter Wait sits the pause out. After MaxThrottled answers the item
// fails with GraphUnavailable (escrowed, retried next cycle) rather than
// holding the shard.
func (a *applier) throttle(ctx context.Context, t *task, it *item) {
	a.mu.Lock()
	a.throttled++
	a.mu.Unlock()
	a.w.m.throttled.Add(ctx, 1, a.w.m.tenantAttr(a.tenant))
	it.throttled++
	it.attempts-- // a 429 is not a failed attempt
	if it.throttled >= a.w.cfg.Retry.MaxThrottled {
		t.remove(it)
		t.failWith(CodeGraphUnavailable, fmt.Sprintf("%s %s: still throttled (429) after %d answers", it.req.Method, it.req.URL, it.throttled))
	}
}

// retryTransient schedules it again after its back-off (at least the
// server's Retry-After), or fails t with code once MaxAttempts are spent.
func (a *applier) retryTransient(t *task, it *item, code rules.Code, retryAfter time.Duration, msg string) {
	if it.attempts >= a.w.cfg.Retry.MaxAttempts {
		t.remove(it)
		t.failWith(code, fmt.Sprintf("%s %s after %d attempts: %s", it.req.Method, it.req.URL, it.attempts, msg))
		return
	}
	it.notBefore = time.Now().Add(max(it.bo.NextBackOff(), retryAfter))
}

func errText(res graph.BatchResult) string {
	if res.Err != nil {
		return res.Err.Error()
	}
	return fmt.Sprintf("status %d", res.Status)
}
