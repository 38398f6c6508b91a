package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// graphsimLimits is a budget with a burst of one, so the second request
// inside the interval is throttled.
func graphsimLimits(writesPerMinute, readsPerMinute int) graphsim.Limits {
	return graphsim.Limits{WritesPerMinute: writesPerMinute, ReadsPerMinute: readsPerMinute, Burst: 1}
}

func TestThrottledWritesRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1))
	ctx := testCtx(t)
	id := onlyUserID(t, s.client)
	// One write per second: back-to-back PATCHes get 429 Retry-After: 1.
	require.NoError(t, s.srv.SetLimits(s.tenant.ID, graphsimLimits(60, -1)))

	// Several fresh clients: kiota orders its default middleware by map
	// iteration, so each client is a new draw of the order the adapter
	// must pin (see newHTTPClient).
	start := time.Now()
	var retries int64
	for i := range 4 {
		c := s.client
		if i > 0 {
			c = s.newClient(t, nil)
		}
		for j := range 2 {
			require.NoError(t, c.UpdateUser(ctx, id, graph.Attributes{"jobTitle": fmt.Sprintf("t%d%d", i, j)}))
		}
		retries += c.Retries()
	}
	elapsed := time.Since(start)

	st := s.srv.Stats(s.tenant.ID)
	require.Positive(t, st.Throttled, "graphsim answered 429")
	require.Positive(t, retries, "the SDK retry handler retried")
	require.GreaterOrEqual(t, elapsed, 6*time.Second, "the SDK waited Retry-After between writes")
	u, err := s.client.GetUser(ctx, id, "jobTitle")
	require.NoError(t, err)
	require.Equal(t, "t31", u.Attributes["jobTitle"])
}

func TestCancelWhileWaitingRetryAfter(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1))
	id := onlyUserID(t, s.client)
	require.NoError(t, s.srv.SetLimits(s.tenant.ID, graphsimLimits(2, -1)))
	require.NoError(t, s.client.UpdateUser(testCtx(t), id, graph.Attributes{"jobTitle": "a"}))

	// The next write is throttled for ~30s; the caller's deadline wins and
	// comes back as the context's error, not as a Graph error.
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	err := s.client.UpdateUser(ctx, id, graph.Attributes{"jobTitle": "b"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, graph.IsTransient(err))
	var ge *graph.Error
	require.False(t, errors.As(err, &ge))
}

func TestThrottledSurfacesWhenRetriesOff(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1), withRetries(-1))
	ctx := testCtx(t)
	id := onlyUserID(t, s.client)
	require.NoError(t, s.srv.SetLimits(s.tenant.ID, graphsimLimits(2, -1)))

	require.NoError(t, s.client.UpdateUser(ctx, id, graph.Attributes{"jobTitle": "a"}))
	err := s.client.UpdateUser(ctx, id, graph.Attributes{"jobTitle": "b"})
	ge := requireGraphError(t, err, http.StatusTooManyRequests, "TooManyRequests")
	require.True(t, graph.IsThrottled(err))
	require.True(t, graph.IsTransient(err))
	require.GreaterOrEqual(t, ge.RetryAfter, 20*time.Second)
	require.Zero(t, s.client.Retries())
}

func TestServerFaultsRetried(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(5), withRetries(5))
	ctx := testCtx(t)
	id := onlyUserID(t, s.client)
	require.NoError(t, s.srv.SetLimits(s.tenant.ID, graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, FaultRate: 0.3}))

	// Faults are random (a third each 500, 503, 504): keep calling until the
	// SDK has retried at least once, so the test does not depend on luck.
	var failed []error
	calls := 0
	for ; calls < 15 || (s.client.Retries() == 0 && calls < 300); calls++ {
		if _, err := s.client.GetUser(ctx, id); err != nil {
			failed = append(failed, err)
		}
	}
	st := s.srv.Stats(s.tenant.ID)
	require.Positive(t, st.Faults)
	require.Positive(t, s.client.Retries(), "503 and 504 are retried by the SDK")
	// The SDK retries 429, 503 and 504 only; a 500 (or a 503/504 past the
	// retry budget) reaches the caller typed and marked transient, for the
	// writer's own escrow and retry.
	for _, err := range failed {
		var ge *graph.Error
		require.ErrorAs(t, err, &ge)
		require.GreaterOrEqual(t, ge.Status, http.StatusInternalServerError, "%v", err)
		require.True(t, graph.IsTransient(err))
	}
	require.Less(t, len(failed), calls)
}
