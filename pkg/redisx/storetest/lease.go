package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// leaseTTL is long enough that a refresh every ttl/3 survives a loaded CI
// machine (at 300ms, scheduling delays on 2 busy cores lost the lease).
const leaseTTL = 1500 * time.Millisecond

var leaseTests = []testCase{
	{"OneLeaderAtATime", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		a, b := h.New(t).Leases, h.New(t).Leases
		la, err := a.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.NoError(t, err)
		_, err = b.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.ErrorIs(t, err, redisx.ErrNotLeader)
		// Refreshing keeps the lease well past its TTL.
		time.Sleep(2 * leaseTTL)
		require.NoError(t, la.Check(ctx))
		require.NoError(t, la.Context().Err())
		_, err = b.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.ErrorIs(t, err, redisx.ErrNotLeader)
		// Another name is another election.
		lo, err := b.AcquireLeader(ctx, "other", leaseTTL)
		require.NoError(t, err)
		require.NoError(t, lo.Release(ctx))

		require.NoError(t, la.Release(ctx))
		require.Error(t, la.Context().Err())
		require.ErrorIs(t, la.Check(ctx), redisx.ErrLeaseLost)
		lb, err := b.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.NoError(t, err)
		require.Greater(t, lb.Fence(), la.Fence())
		require.NoError(t, lb.Release(ctx))
	}},
	{"CancelledContextReleases", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		owner, cancel := context.WithCancel(ctx)
		l, err := h.New(t).Leases.AcquireLeader(owner, "scheduler", 10*time.Second)
		require.NoError(t, err)
		cancel()
		<-l.Context().Done()
		// The refresher releases on its way out; wait for it through Release.
		require.NoError(t, l.Release(ctx))
		l2, err := h.New(t).Leases.AcquireLeader(ctx, "scheduler", 10*time.Second)
		require.NoError(t, err, "a cancelled owner must not hold the lease until its TTL")
		require.NoError(t, l2.Release(ctx))
	}},
	{"ExpiryTakeoverFencesStaleLeader", func(t *testing.T, h Harness) {
		if h.ExpireLeases == nil {
			t.Skip("backend cannot expire leases on demand")
		}
		ctx := ctxT(t)
		stale, err := h.New(t).Leases.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.NoError(t, err)
		h.ExpireLeases(t)
		fresh, err := h.New(t).Leases.AcquireLeader(ctx, "scheduler", leaseTTL)
		require.NoError(t, err)
		require.Greater(t, fresh.Fence(), stale.Fence())
		require.ErrorIs(t, stale.Check(ctx), redisx.ErrLeaseLost)
		require.NoError(t, fresh.Check(ctx))
		// The stale refresher notices within a refresh interval and stops.
		select {
		case <-stale.Context().Done():
			require.ErrorIs(t, context.Cause(stale.Context()), redisx.ErrLeaseLost)
		case <-time.After(5 * leaseTTL):
			t.Fatal("stale lease context still live")
		}
		require.NoError(t, stale.Release(ctx))
		require.NoError(t, fresh.Check(ctx), "a stale holder's Release must not free the new lease")
		require.NoError(t, fresh.Release(ctx))
	}},
	{"CycleLockPerConfiguration", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		a, b := h.New(t).Leases, h.New(t).Leases
		la, err := a.AcquireCycle(ctx, "cfg-a", leaseTTL)
		require.NoError(t, err)
		_, err = b.AcquireCycle(ctx, "cfg-a", leaseTTL)
		require.ErrorIs(t, err, redisx.ErrLocked)
		lb, err := b.AcquireCycle(ctx, "cfg-b", leaseTTL)
		require.NoError(t, err)
		// The leader election and the cycle lock do not share a namespace.
		ll, err := b.AcquireLeader(ctx, "cfg-a", leaseTTL)
		require.NoError(t, err)
		for _, l := range []redisx.Lease{la, lb, ll} {
			require.NoError(t, l.Release(ctx))
		}
		la2, err := b.AcquireCycle(ctx, "cfg-a", leaseTTL)
		require.NoError(t, err)
		require.Greater(t, la2.Fence(), la.Fence())
		require.NoError(t, la2.Release(ctx))
	}},
	{"InvalidArguments", func(t *testing.T, h Harness) {
		_, err := h.New(t).Leases.AcquireCycle(ctxT(t), "bad}id", leaseTTL)
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
}
