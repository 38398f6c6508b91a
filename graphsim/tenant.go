package graphsim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tenant is one simulated directory. Its store is guarded by mu; request
// handlers take it per request, test helpers per call.
type Tenant struct {
	srv  *Server
	info TenantInfo

	limMu   sync.RWMutex
	limits  Limits
	buckets *appBuckets

	stats struct {
		requests, reads, writes, throttled, faults, tokens atomic.Int64
		resets, slowBodies                                 atomic.Int64
		batches, batchesInFlight, batchesPeak              atomic.Int64
	}

	mu         sync.RWMutex
	st         *store
	nextExpiry time.Time // earliest deleted-item expiry; zero when none
}

// Info returns the tenant's id, domain and app credentials.
func (t *Tenant) Info() TenantInfo { return t.info }

// ID is the tenant's GUID.
func (t *Tenant) ID() string { return t.info.ID }

// Domain is the tenant's verified domain.
func (t *Tenant) Domain() string { return t.info.Domain }

// Limits returns the tenant's current throttling settings (defaults applied).
func (t *Tenant) Limits() Limits {
	t.limMu.RLock()
	defer t.limMu.RUnlock()
	return t.limits
}

// SetLimits replaces the tenant's throttling, latency and fault settings.
func (t *Tenant) SetLimits(l Limits) error {
	l, err := l.normalize()
	if err != nil {
		return fmt.Errorf("set limits for %s: %w", t.info.ID, err)
	}
	t.limMu.Lock()
	defer t.limMu.Unlock()
	t.limits = l
	t.buckets = newAppBuckets()
	return nil
}

// Stats returns the tenant's request counters.
func (t *Tenant) Stats() Stats {
	return Stats{
		Requests:   t.stats.requests.Load(),
		Reads:      t.stats.reads.Load(),
		Writes:     t.stats.writes.Load(),
		Throttled:  t.stats.throttled.Load(),
		Faults:     t.stats.faults.Load(),
		Resets:     t.stats.resets.Load(),
		SlowBodies: t.stats.slowBodies.Load(),
		Tokens:     t.stats.tokens.Load(),

		Batches:            t.stats.batches.Load(),
		MaxBatchesInFlight: t.stats.batchesPeak.Load(),
	}
}

// batchStarted counts a $batch call in flight until the returned func runs,
// keeping the peak.
func (t *Tenant) batchStarted() (done func()) {
	t.stats.batches.Add(1)
	n := t.stats.batchesInFlight.Add(1)
	for {
		peak := t.stats.batchesPeak.Load()
		if n <= peak || t.stats.batchesPeak.CompareAndSwap(peak, n) {
			break
		}
	}
	return func() { t.stats.batchesInFlight.Add(-1) }
}

// addTenant builds tenant i from spec with deterministic defaults.
func (s *Server) addTenant(ctx context.Context, i int, spec TenantSpec) error {
	spec = spec.withDefaults(i)
	if err := validateSpec(spec); err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create tenant %s: %w", spec.ID, err)
	}
	t := &Tenant{
		srv:  s,
		info: TenantInfo{ID: spec.ID, Domain: spec.Domain, ClientID: spec.ClientID, ClientSecret: spec.ClientSecret},
		st:   newStore(),
	}
	if err := t.SetLimits(spec.Limits); err != nil {
		return err
	}
	if err := t.seed(spec); err != nil {
		return fmt.Errorf("seed tenant %s: %w", spec.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{spec.ID, spec.Domain} {
		if _, dup := s.byKey[strings.ToLower(k)]; dup {
			return fmt.Errorf("create tenant: duplicate id or domain %q", k)
		}
	}
	s.byKey[strings.ToLower(spec.ID)] = t
	s.byKey[strings.ToLower(spec.Domain)] = t
	s.tenants = append(s.tenants, t)
	return nil
}
