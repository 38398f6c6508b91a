package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// oneShard puts every change on transformer shard 0.
func oneShard(c *natsx.TopologyConfig) { c.ChangeShards = 1 }

// publishChanges queues n changes for cfg1 and waits for their acks.
func publishChanges(t testing.TB, e *env, n int, idPrefix string) {
	t.Helper()
	ctx := ctxT(t)
	p := e.publisher(natsx.PublisherOptions{})
	for i := range n {
		obj := fmt.Sprintf("%s-%d", idPrefix, i)
		subj, err := natsx.ChangeSubject("cfg1", obj, e.cfg.ChangeShards)
		require.NoError(t, err)
		require.NoError(t, p.Publish(ctx, subj, &eventsv1.SourceChange{ConfigurationId: "cfg1", CycleId: obj}, obj, natsx.WithOrderKey(obj)))
	}
	require.NoError(t, p.WaitAll(ctx))
}

// recorder is an idempotent handler's memory: effects applied per msg id
// (must end at 1) and deliveries seen per msg id.
type recorder struct {
	mu         sync.Mutex
	applied    map[string]int
	deliveries map[string]int
	times      map[string][]time.Time
}

func newRecorder() *recorder {
	return &recorder{applied: map[string]int{}, deliveries: map[string]int{}, times: map[string][]time.Time{}}
}

// see records a delivery and returns its 1-based count.
func (r *recorder) see(m *natsx.Msg) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries[m.MsgID()]++
	r.times[m.MsgID()] = append(r.times[m.MsgID()], time.Now())
	return r.deliveries[m.MsgID()]
}

// apply performs the effect once per msg id, like a write keyed by intent id.
func (r *recorder) apply(m *natsx.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.applied[m.MsgID()] == 0 {
		r.applied[m.MsgID()]++
	}
}

func (r *recorder) counts() (applied, deliveries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.deliveries {
		deliveries += n
	}
	return len(r.applied), deliveries
}

func TestConsumeSettlesByHandlerResult(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		handler   func(delivery int) error
		wantCalls int
		wantDead  string
		wantGap   time.Duration // minimum time between first and second delivery
	}{
		{"success acks once", func(int) error { return nil }, 1, "", 0},
		{"retryable redelivers after its delay", func(n int) error {
			if n == 1 {
				return natsx.Retryable(errBoom, 400*time.Millisecond)
			}
			return nil
		}, 2, "", 400 * time.Millisecond},
		{"plain error redelivers with the runner's delay", func(n int) error {
			if n == 1 {
				return errBoom
			}
			return nil
		}, 2, "", 50 * time.Millisecond},
		{"panic is a retryable error", func(n int) error {
			if n == 1 {
				panic("handler bug")
			}
			return nil
		}, 2, "", 0},
		{"permanent terminates without redelivery", func(int) error { return natsx.Permanent(errBoom) }, 1, natsx.DeadLetterPermanent, 0},
		{"max deliver goes to the dead-letter hook", func(int) error { return errBoom }, 5, natsx.DeadLetterMaxDeliver, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, oneShard)
			publishChanges(t, e, 1, "obj")
			rec := newRecorder()
			var (
				mu   sync.Mutex
				dead []natsx.DeadLetter
			)
			runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), func(ctx context.Context, m *natsx.Msg) error {
				var sc eventsv1.SourceChange
				assert.NoError(t, m.Unmarshal(&sc))
				assert.Equal(t, "cfg1", sc.GetConfigurationId())
				assert.EqualValues(t, rec.see(m), m.NumDelivered())
				return tt.handler(int(m.NumDelivered()))
			}, natsx.ConsumeOptions{
				RetryDelay: func(uint64) time.Duration { return 50 * time.Millisecond },
				DeadLetter: func(_ context.Context, d natsx.DeadLetter) {
					mu.Lock()
					defer mu.Unlock()
					dead = append(dead, d)
				},
			})
			require.Eventually(t, func() bool { _, n := rec.counts(); return n >= tt.wantCalls }, 10*time.Second, 10*time.Millisecond)
			// Longer than AckWait (1s): anything unsettled would come back.
			time.Sleep(1500 * time.Millisecond)
			_, n := rec.counts()
			require.Equal(t, tt.wantCalls, n)

			mu.Lock()
			defer mu.Unlock()
			if tt.wantDead == "" {
				require.Empty(t, dead)
			} else {
				require.Len(t, dead, 1)
				require.Equal(t, tt.wantDead, dead[0].Reason)
				require.Equal(t, "obj-0", dead[0].MsgID)
				require.EqualValues(t, tt.wantCalls, dead[0].NumDelivered)
				require.ErrorIs(t, dead[0].Err, errBoom)
				require.NotEmpty(t, dead[0].Data, "the hook gets the payload to escrow")
			}
			if tt.wantGap > 0 {
				times := rec.times["obj-0"]
				require.GreaterOrEqual(t, times[1].Sub(times[0]), tt.wantGap)
			}
			lag, err := natsx.Pending(ctxT(t), e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)))
			require.NoError(t, err)
			require.Zero(t, lag.Total())
			require.Zero(t, e.streamMsgs(natsx.StreamChanges), "work queue: acked and terminated messages are removed")
		})
	}
}

// TestCrashRedeliversAndIdempotentHandlerAppliesOnce kills the consumer's
// connection mid-batch, after the work and before the ack: the message comes
// back after AckWait to a new consumer process and is applied once overall.
func TestCrashRedeliversAndIdempotentHandlerAppliesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard)
	const n = 20
	publishChanges(t, e, n, "obj")
	rec := newRecorder()
	handler := func(_ context.Context, m *natsx.Msg) error {
		rec.see(m)
		rec.apply(m)
		return nil
	}

	// Process 1: its own connection, which dies while handling the 8th message.
	nc1 := e.connect()
	js1, err := natsx.NewJetStream(nc1)
	require.NoError(t, err)
	c1, err := js1.Consumer(ctxT(t), natsx.StreamChanges, natsx.TransformerConsumer(0))
	require.NoError(t, err)
	var handled int
	var dead atomic.Bool
	crashErr := make(chan error, 1)
	go func() {
		crashErr <- natsx.Consume(context.Background(), c1, func(ctx context.Context, m *natsx.Msg) error {
			if dead.Load() {
				return errors.New("process is dead") // a dead process does no work
			}
			err := handler(ctx, m)
			if handled++; handled == 8 {
				dead.Store(true)
				nc1.Close() // the process dies before acking
			}
			return err
		}, natsx.ConsumeOptions{Batch: 10})
	}()
	select {
	case err := <-crashErr:
		require.ErrorIs(t, err, jetstream.ErrMsgIteratorClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("crashed consumer did not return")
	}
	applied, _ := rec.counts()
	require.Equal(t, 8, applied)

	// Process 2 picks up the rest, and the un-acked 8th after AckWait.
	runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), handler, natsx.ConsumeOptions{Batch: 10})
	require.Eventually(t, func() bool {
		lag, err := natsx.Pending(ctxT(t), e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)))
		return err == nil && lag.Total() == 0
	}, 10*time.Second, 20*time.Millisecond)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.applied, n)
	for id, a := range rec.applied {
		require.Equal(t, 1, a, id)
	}
	require.Equal(t, 2, rec.deliveries["obj-7"], "the message being handled at the crash is redelivered")
	require.Zero(t, e.streamMsgs(natsx.StreamChanges))
}

// TestGracefulStopDrains stops a consumer with handlers running: they
// finish and ack, buffered messages are nak'ed back at once (not after
// AckWait), and a second consumer finishes the rest with no duplicates.
func TestGracefulStopDrains(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard, func(c *natsx.TopologyConfig) { c.Transformer.AckWait = 30 * time.Second })
	const n = 30
	publishChanges(t, e, n, "obj")
	rec := newRecorder()
	started := make(chan struct{}, n)
	slow := func(_ context.Context, m *natsx.Msg) error {
		rec.see(m)
		started <- struct{}{}
		time.Sleep(150 * time.Millisecond)
		rec.apply(m)
		return nil
	}
	stop := runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), slow, natsx.ConsumeOptions{Batch: 20, Concurrency: 3})
	for range 3 {
		<-started
	}
	require.NoError(t, stop())
	applied, delivered := rec.counts()
	require.Equal(t, delivered, applied, "every started handler finished before Consume returned")
	require.Less(t, applied, n)
	// Acks are asynchronous: give the server a moment to count the last ones.
	require.Eventually(t, func() bool {
		lag, err := natsx.Pending(ctxT(t), e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)))
		return err == nil && lag.Total() == uint64(n-applied)
	}, 5*time.Second, 10*time.Millisecond, "nothing acknowledged without being handled")

	begin := time.Now()
	runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), slow, natsx.ConsumeOptions{Batch: 20, Concurrency: 8})
	require.Eventually(t, func() bool { a, _ := rec.counts(); return a == n }, 20*time.Second, 10*time.Millisecond)
	require.Less(t, time.Since(begin), 15*time.Second, "released messages come back well before AckWait")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id, d := range rec.deliveries {
		require.Equal(t, 1, d, "no duplicate delivery of %s", id)
	}
}

func TestPendingReportsLag(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard)
	publishChanges(t, e, 12, "obj")
	c := e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0))
	lag, err := natsx.Pending(ctxT(t), c)
	require.NoError(t, err)
	require.Equal(t, natsx.Lag{Pending: 12}, lag)

	batch, err := c.Fetch(5, jetstream.FetchMaxWait(time.Second))
	require.NoError(t, err)
	for range batch.Messages() { // delivered, not acked
	}
	lag, err = natsx.Pending(ctxT(t), c)
	require.NoError(t, err)
	require.Equal(t, natsx.Lag{Pending: 7, AckPending: 5}, lag)
	require.EqualValues(t, 12, lag.Total())
}
