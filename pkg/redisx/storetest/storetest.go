// Package storetest is the one conformance suite of the redisx store
// interfaces, run against every implementation and every decorator stack
// (the way Jaeger's StorageIntegration.RunAll and Temporal's
// persistence-tests are). An implementation passes when
//
//	storetest.RunAll(t, func(t *testing.T) storetest.Harness { ... })
//
// passes. The suite never looks at keys or encodings, only at behaviour.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// Limit is the budget the factory must give every tenant's limiter: tiny,
// so the counting tests stay short.
var Limit = redis_rate.Limit{Rate: 10, Burst: 5, Period: time.Second}

// SlowStart is the fraction of Limit's rate the factory's SlowStarting
// limiter starts a tenant at (redisx.Adaptive.SlowStart).
const SlowStart = 0.2

// Policy is the quarantine policy the factory must configure.
var Policy = redisx.QuarantinePolicy{First: time.Hour, Max: 24 * time.Hour, DisableAfter: 28 * 24 * time.Hour}

// Stores is one replica's view of the backend: every store on a client
// (connection pool) of its own.
type Stores struct {
	Watermarks  redisx.WatermarkStore
	Connectors  redisx.ConnectorStore
	Escrows     redisx.EscrowStore
	Quarantines redisx.QuarantineStore // configured with Policy
	Leases      redisx.Leases
	Limiter     redisx.RateLimiter // configured with Limit for every tenant, not in slow start
	// SlowStarting is a limiter configured with Limit in slow start from
	// SlowStart of its rate: a fresh tenant's burst is not available at
	// once. Nil skips its tests.
	SlowStarting redisx.RateLimiter
}

// Harness is one isolated backend for one test.
type Harness struct {
	// New returns a replica: fresh stores with their own client on the same
	// backend, so concurrency tests look like separate processes.
	New func(t *testing.T) Stores
	// Restart stops and restarts the backend, keeping what was
	// acknowledged (AOF). Nil skips the persistence tests.
	Restart func(t *testing.T)
	// ExpireLeases makes every held lease expire now, as if its holder had
	// stalled past the TTL. Nil skips the takeover tests.
	ExpireLeases func(t *testing.T)
}

// Factory makes a Harness; it is called once per test, in parallel.
type Factory func(t *testing.T) Harness

type testCase struct {
	name string
	run  func(t *testing.T, h Harness)
}

// RunAll runs every conformance test as a parallel subtest.
func RunAll(t *testing.T, f Factory) {
	groups := map[string][]testCase{
		"Watermarks":  watermarkTests,
		"Connectors":  connectorTests,
		"Escrows":     escrowTests,
		"Quarantines": quarantineTests,
		"Leases":      leaseTests,
		"Limiter":     limiterTests,
		"Restart":     restartTests,
	}
	for _, group := range []string{"Watermarks", "Connectors", "Escrows", "Quarantines", "Leases", "Limiter", "Restart"} {
		t.Run(group, func(t *testing.T) {
			t.Parallel()
			for _, tc := range groups[group] {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, f(t))
				})
			}
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
