package writer_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/services/writer"
)

// creates builds n user creates split into batches of per intents.
func creates(e *env, prefix string, n, per int) []*eventsv1.IntentBatch {
	var out []*eventsv1.IntentBatch
	for i := 0; i < n; i += per {
		var ins []*eventsv1.WriteIntent
		for j := i; j < min(i+per, n); j++ {
			src := fmt.Sprintf("%s-%04d", prefix, j)
			ins = append(ins, userCreate(src, src+"@source.example", "User "+src))
		}
		out = append(out, batchOf(e, ins...))
	}
	return out
}

// applyFleet applies the batches with several writer replicas at once,
// each batch applied by one of them (and, with twice, by another one
// again, as a redelivery would).
func applyFleet(t *testing.T, ws []*writer.Writer, batches []*eventsv1.IntentBatch, twice bool) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(batches))
	for i, b := range batches {
		wg.Go(func() {
			out, err := ws[i%len(ws)].Apply(ctxT(t), b)
			if err == nil {
				for _, o := range out.GetOutcomes() {
					if !o.GetSuccess() {
						err = fmt.Errorf("%s: %v", o.GetSource().GetObjectId(), o.GetError())
					}
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	if twice {
		for i, b := range batches {
			wg.Go(func() {
				_, err := ws[(i+1)%len(ws)].Apply(ctxT(t), b)
				errs <- err
			})
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// requireExactlyOnce checks every source user exists once in the target.
func requireExactlyOnce(t *testing.T, e *env, before int, prefix string, n int) {
	t.Helper()
	require.Equal(t, before+n, e.tenant.UserCount(), "no duplicates, none missing")
	for i := range n {
		mail := fmt.Sprintf("%s-%04d@source.example", prefix, i)
		u, ok := e.tenant.UserByMail(mail)
		require.True(t, ok, mail)
		require.Equal(t, "Engineer", u.JobTitle, mail)
	}
}

// TestFleetSharesTheBudget runs three writer replicas (own Redis clients)
// against a tenant whose Graph budget equals the shared limiter's: the
// replicas queue on the limiter instead of colliding with Graph's limit.
func TestFleetSharesTheBudget(t *testing.T) {
	t.Parallel()
	const n = 200 // 400 writes: an invitation and a PATCH each
	e := newEnv(t, func(l *graphsim.Limits, c *writer.Config) {
		l.WritesPerMinute, l.Burst = 3000, 60
		c.WritesPerMinute, c.WriteBurst = 3000, 40 // a little under Graph's burst: arrival jitter
	})
	ws := []*writer.Writer{e.newWriter(), e.newWriter(), e.newWriter()}
	before := e.tenant.UserCount()
	applyFleet(t, ws, creates(e, "fleet", n, 20), false)
	requireExactlyOnce(t, e, before, "fleet", n)
	st := e.sim.Stats(e.tenant.ID())
	t.Logf("graphsim: %d writes, %d throttled", st.Writes, st.Throttled)
	require.GreaterOrEqual(t, st.Writes, int64(2*n))
	require.LessOrEqual(t, st.Throttled, int64(8), "the shared budget keeps the fleet under Graph's limit")
}

// TestFleetWithoutSharedBudgetIsThrottled is the control: the same load
// with a limiter far above Graph's budget collides with it, and the 429
// path (tenant pause, item retry) still applies everything exactly once.
func TestFleetWithoutSharedBudgetIsThrottled(t *testing.T) {
	t.Parallel()
	const n = 120
	e := newEnv(t, func(l *graphsim.Limits, c *writer.Config) {
		l.WritesPerMinute, l.Burst = 6000, 30
		c.Retry.DefaultRetryAfter = 200 * time.Millisecond
	})
	ws := []*writer.Writer{e.newWriter(), e.newWriter()}
	before := e.tenant.UserCount()
	applyFleet(t, ws, creates(e, "storm", n, 20), false)
	requireExactlyOnce(t, e, before, "storm", n)
	st := e.sim.Stats(e.tenant.ID())
	t.Logf("graphsim: %d writes, %d throttled", st.Writes, st.Throttled)
	require.Positive(t, st.Throttled)
}

// TestFaultsAndRedelivery: 5% of Graph requests fail with 500/503/504 and
// every batch is applied twice by different replicas; all users exist
// exactly once.
func TestFaultsAndRedelivery(t *testing.T) {
	t.Parallel()
	const n = 150
	e := newEnv(t, func(l *graphsim.Limits, _ *writer.Config) { l.FaultRate = 0.05 })
	ws := []*writer.Writer{e.newWriter(), e.newWriter()}
	before := e.tenant.UserCount()
	applyFleet(t, ws, creates(e, "fault", n, 15), true)
	requireExactlyOnce(t, e, before, "fault", n)
	st := e.sim.Stats(e.tenant.ID())
	t.Logf("graphsim: %d requests, %d faults", st.Requests, st.Faults)
	require.Positive(t, st.Faults)
}
