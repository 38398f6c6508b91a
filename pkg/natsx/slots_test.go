package natsx_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// acquirer takes a slot in the background and reports the grant.
type acquirer struct {
	name    string
	granted chan func()
	err     chan error
}

func acquire(ctx context.Context, s *natsx.Slots, name, key string) *acquirer {
	a := &acquirer{name: name, granted: make(chan func(), 1), err: make(chan error, 1)}
	go func() {
		release, err := s.Acquire(ctx, key)
		if err != nil {
			a.err <- err
			return
		}
		a.granted <- release
	}()
	return a
}

// queued starts an acquirer and waits until it is queued (not granted).
func queued(t *testing.T, ctx context.Context, s *natsx.Slots, name, key string) *acquirer {
	t.Helper()
	before := s.Waiting()
	a := acquire(ctx, s, name, key)
	require.Eventually(t, func() bool { return s.Waiting() == before+1 }, 10*time.Second, time.Millisecond, name)
	requireWaiting(t, a)
	return a
}

func requireWaiting(t *testing.T, a *acquirer) {
	t.Helper()
	select {
	case <-a.granted:
		t.Fatalf("%s was granted a slot", a.name)
	default:
	}
}

func granted(t *testing.T, a *acquirer) func() {
	t.Helper()
	select {
	case r := <-a.granted:
		return r
	case err := <-a.err:
		t.Fatalf("%s: %v", a.name, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not granted a slot", a.name)
	}
	return nil
}

func TestSlots(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)

	t.Run("first come first served", func(t *testing.T) {
		t.Parallel()
		s := natsx.NewSlots(1, 0)
		hold := granted(t, acquire(ctx, s, "hold", "k"))
		w1 := queued(t, ctx, s, "w1", "a")
		w2 := queued(t, ctx, s, "w2", "b")
		w3 := queued(t, ctx, s, "w3", "c")
		hold()
		r1 := granted(t, w1)
		requireWaiting(t, w2)
		r1()
		r1() // a second release is a no-op
		r2 := granted(t, w2)
		requireWaiting(t, w3)
		r2()
		granted(t, w3)()
		require.Zero(t, s.InUse())
	})

	t.Run("per-key cap leaves room for other keys", func(t *testing.T) {
		t.Parallel()
		s := natsx.NewSlots(3, 2)
		require.Equal(t, 3, s.Size())
		require.Equal(t, 2, s.PerKey())
		a1 := granted(t, acquire(ctx, s, "a1", "slow"))
		a2 := granted(t, acquire(ctx, s, "a2", "slow"))
		a3 := queued(t, ctx, s, "a3", "slow") // at its cap, though a slot is free
		b1 := granted(t, acquire(ctx, s, "b1", "fast"))
		c1 := queued(t, ctx, s, "c1", "other") // all three taken
		b1()
		c := granted(t, c1) // the older waiter a3 is still at its cap
		requireWaiting(t, a3)
		a1()
		a := granted(t, a3)
		require.Equal(t, 3, s.InUse())
		for _, r := range []func(){a, a2, c} {
			r()
		}
		require.Zero(t, s.InUse())
	})

	t.Run("a cancelled wait gives nothing up", func(t *testing.T) {
		t.Parallel()
		s := natsx.NewSlots(1, 0)
		hold := granted(t, acquire(ctx, s, "hold", ""))
		cctx, cancel := context.WithCancel(ctx)
		w := queued(t, cctx, s, "w", "")
		next := queued(t, ctx, s, "next", "")
		cancel()
		select {
		case err := <-w.err:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("cancelled wait did not return")
		}
		require.Equal(t, 1, s.Waiting())
		hold()
		granted(t, next)()
		require.Zero(t, s.InUse())
		_, err := s.Acquire(cctx, "")
		require.ErrorIs(t, err, context.Canceled, "a stopped runner starts nothing, even with a slot free")
		require.Zero(t, s.InUse())
	})
}

// TestConsumeSharesSlots runs the two shard consumers of one process with
// one Slots of 2: never more than 2 handlers at once over both shards (not
// 2 per shard), both shards served. Stopping with messages waiting for a
// slot naks them unstarted; running handlers finish; a second process
// applies the rest, each message once.
func TestConsumeSharesSlots(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *natsx.TopologyConfig) { c.Transformer.AckWait = 30 * time.Second })
	const n = 40
	p := e.publisher(natsx.PublisherOptions{})
	for i := range n {
		obj := fmt.Sprintf("obj-%d", i)
		subj, err := natsx.ChangeSubject("cfg1", obj, e.cfg.ChangeShards)
		require.NoError(t, err)
		require.NoError(t, p.Publish(ctxT(t), subj, &eventsv1.SourceChange{ConfigurationId: "cfg1", CycleId: obj}, obj))
	}
	require.NoError(t, p.WaitAll(ctxT(t)))

	rec := newRecorder()
	var running, peak atomic.Int64
	var mu sync.Mutex
	perShard := map[string]int{}
	gate := make(chan struct{})
	handler := func(_ context.Context, m *natsx.Msg) error {
		now := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		rec.see(m)
		<-gate
		rec.apply(m)
		mu.Lock()
		perShard[m.Subject()]++
		mu.Unlock()
		return nil
	}
	run := func(slots *natsx.Slots) []func() error {
		var stops []func() error
		for shard := range e.cfg.ChangeShards {
			stops = append(stops, runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(shard)), handler,
				natsx.ConsumeOptions{Batch: 4, Concurrency: 4, Slots: slots, AutoInProgress: 200 * time.Millisecond}))
		}
		return stops
	}

	slots := natsx.NewSlots(2, 0)
	stops := run(slots)
	// Both slots taken, and messages of the shards waiting for them.
	require.Eventually(t, func() bool { return running.Load() == 2 && slots.Waiting() >= 2 }, 20*time.Second, 5*time.Millisecond)
	stopped := make(chan error, len(stops))
	for _, stop := range stops {
		go func() { stopped <- stop() }()
	}
	require.Eventually(t, func() bool { return slots.Waiting() == 0 }, 20*time.Second, 5*time.Millisecond,
		"waits for a slot end with the stop")
	close(gate)
	for range stops {
		require.NoError(t, <-stopped)
	}
	require.EqualValues(t, 2, peak.Load(), "one limit over both shard consumers")
	applied, delivered := rec.counts()
	require.Equal(t, 2, applied, "only the two running handlers did work")
	require.Equal(t, delivered, applied, "nothing waiting for a slot was started")

	peak.Store(0)
	slots = natsx.NewSlots(3, 0)
	run(slots)
	require.Eventually(t, func() bool { a, _ := rec.counts(); return a == n }, 30*time.Second, 10*time.Millisecond)
	require.LessOrEqual(t, peak.Load(), int64(3))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id, d := range rec.deliveries {
		require.Equal(t, 1, d, "%s: released unstarted, delivered once to a handler", id)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, perShard, e.cfg.ChangeShards, "every shard served")
}
