package graphsim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Default budgets. 2000 writes per minute per app is the write limit the
// product documentation quotes for provisioning; reads are generous.
const (
	DefaultWritesPerMinute = 2000
	DefaultReadsPerMinute  = 60000
)

// normalize applies defaults and validates l.
func (l Limits) normalize() (Limits, error) {
	if l.WritesPerMinute == 0 {
		l.WritesPerMinute = DefaultWritesPerMinute
	}
	if l.ReadsPerMinute == 0 {
		l.ReadsPerMinute = DefaultReadsPerMinute
	}
	switch {
	case l.WritesPerMinute < -1 || l.ReadsPerMinute < -1:
		return l, errors.New("budgets must be positive, 0 (default) or -1 (unlimited)")
	case l.Burst < 0:
		return l, errors.New("burst must not be negative")
	case l.Latency < 0 || l.LatencyJitter < 0:
		return l, errors.New("latency must not be negative")
	case l.FaultRate < 0 || l.FaultRate > 1 || math.IsNaN(l.FaultRate):
		return l, fmt.Errorf("fault rate %v is outside 0..1", l.FaultRate)
	case l.ResetRate < 0 || l.ResetRate > 1 || math.IsNaN(l.ResetRate):
		return l, fmt.Errorf("reset rate %v is outside 0..1", l.ResetRate)
	case l.SlowBodyRate < 0 || l.SlowBodyRate > 1 || math.IsNaN(l.SlowBodyRate):
		return l, fmt.Errorf("slow body rate %v is outside 0..1", l.SlowBodyRate)
	case l.SlowBody < 0:
		return l, errors.New("slow body must not be negative")
	}
	return l, nil
}

// bucket is a GCRA limiter: tat is the theoretical arrival time of the
// next request if traffic were perfectly paced.
type bucket struct{ tat time.Time }

// take admits one request at now, or says how long to wait.
func (b *bucket) take(now time.Time, perMinute, burst int) (bool, time.Duration) {
	if perMinute < 0 {
		return true, 0
	}
	interval := time.Minute / time.Duration(perMinute)
	if burst <= 0 {
		burst = max(1, perMinute/6) // a ten-second share, like Graph's windows
	}
	tolerance := interval * time.Duration(burst-1)
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - tolerance; wait > 0 {
		return false, wait
	}
	b.tat = tat.Add(interval)
	return true, 0
}

// appBuckets holds read and write buckets per app id.
type appBuckets struct {
	mu sync.Mutex
	m  map[string]*[2]bucket // [0] reads, [1] writes
}

func newAppBuckets() *appBuckets { return &appBuckets{m: map[string]*[2]bucket{}} }

// isWrite classifies a request for budgets: anything but GET/HEAD writes.
func isWrite(method string) bool { return method != http.MethodGet && method != http.MethodHead }

// admit counts the request and applies throttling, latency and faults, in
// that order: a throttled request costs no latency, as with Graph. An
// inner request of a $batch (rc.batched) pays no latency of its own: the
// envelope pays one draw for the whole batch (handleBatch), as Graph runs a
// batch's requests concurrently.
func (t *Tenant) admit(rc *reqCtx) *gerror {
	t.limMu.RLock()
	l, bk := t.limits, t.buckets
	t.limMu.RUnlock()

	t.stats.requests.Add(1)
	write := isWrite(rc.method)
	budget := l.ReadsPerMinute
	if write {
		t.stats.writes.Add(1)
		budget = l.WritesPerMinute
	} else {
		t.stats.reads.Add(1)
	}
	bk.mu.Lock()
	b := bk.m[rc.app]
	if b == nil {
		b = &[2]bucket{}
		bk.m[rc.app] = b
	}
	idx := 0
	if write {
		idx = 1
	}
	ok, wait := b[idx].take(rc.now, budget, l.Burst)
	bk.mu.Unlock()
	if !ok {
		t.stats.throttled.Add(1)
		secs := int(math.Ceil(wait.Seconds()))
		return &gerror{status: http.StatusTooManyRequests, code: codeTooManyRequests, retryAfter: max(1, secs),
			message: "Please retry again later."}
	}

	rc.admitted = true
	if !rc.batched {
		t.delay(rc.ctx, l)
	}
	if l.FaultRate > 0 && rand.Float64() < l.FaultRate {
		t.stats.faults.Add(1)
		return randomFault()
	}
	return nil
}

// delay waits one draw of l's latency (Latency + uniform 0..LatencyJitter),
// or until ctx ends.
func (t *Tenant) delay(ctx context.Context, l Limits) {
	d := l.Latency
	if d <= 0 && l.LatencyJitter <= 0 {
		return
	}
	if l.LatencyJitter > 0 {
		d += rand.N(l.LatencyJitter + 1)
	}
	if h := t.srv.onDelay.Load(); h != nil {
		(*h)(d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// randomFault picks one of the transient failures Graph returns.
func randomFault() *gerror {
	switch rand.IntN(3) {
	case 0:
		return &gerror{status: http.StatusInternalServerError, code: codeInternalError, message: "An internal server error occurred. Please retry the request."}
	case 1:
		return &gerror{status: http.StatusServiceUnavailable, code: codeServiceNotAvail, retryAfter: 1,
			message: "The service is temporarily unavailable. Please retry after the time given in the Retry-After header."}
	default:
		return &gerror{status: http.StatusGatewayTimeout, code: codeGatewayTimeout, retryAfter: 1,
			message: "The gateway did not receive a response from the service in time."}
	}
}

// connFault is what the HTTP layer does to one Graph exchange besides
// answering it: cut the connection before or after the request took
// effect, or trickle the body out.
type connFault int

const (
	connOK connFault = iota
	connResetBefore
	connResetAfter
	connSlowBody
)

// connFault rolls the tenant's connection-level faults for one request.
func (t *Tenant) connFault() (connFault, time.Duration) {
	t.limMu.RLock()
	l := t.limits
	t.limMu.RUnlock()
	if l.ResetRate > 0 && rand.Float64() < l.ResetRate {
		t.stats.resets.Add(1)
		if rand.IntN(2) == 0 {
			return connResetBefore, 0
		}
		return connResetAfter, 0
	}
	if l.SlowBodyRate > 0 && rand.Float64() < l.SlowBodyRate {
		t.stats.slowBodies.Add(1)
		d := l.SlowBody
		if d == 0 {
			d = 2 * time.Second
		}
		return connSlowBody, d
	}
	return connOK, 0
}
