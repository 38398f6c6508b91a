package natsx_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// TestPinnedShardHasOneClientAtATime: two replicas pull the same pinned
// shard consumer; only one gets messages. When it drains and stops, it
// unpins, and the other takes over at once (well before PinnedTTL).
func TestPinnedShardHasOneClientAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard, func(c *natsx.TopologyConfig) { c.PinnedTTL = 30 * time.Second })
	var a, b atomic.Int64
	count := func(n *atomic.Int64) natsx.Handler {
		return func(context.Context, *natsx.Msg) error { n.Add(1); return nil }
	}
	opts := natsx.ConsumeOptions{JetStream: e.js, Batch: 8, Concurrency: 2}
	stopA := runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), count(&a), opts)
	stopB := runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), count(&b), opts)

	publishChanges(t, e, 40, "first")
	require.Eventually(t, func() bool { return a.Load()+b.Load() == 40 }, 10*time.Second, 10*time.Millisecond)
	require.True(t, a.Load() == 0 || b.Load() == 0, "one pinned client: a=%d b=%d", a.Load(), b.Load())

	pinned, other, stop := &a, &b, stopA
	if b.Load() == 40 {
		pinned, other, stop = &b, &a, stopB
	}
	require.NoError(t, stop())
	begin := time.Now()
	publishChanges(t, e, 40, "second")
	require.Eventually(t, func() bool { return other.Load() == 40 }, 10*time.Second, 10*time.Millisecond)
	require.Less(t, time.Since(begin), 10*time.Second, "handed over before PinnedTTL")
	require.EqualValues(t, 40, pinned.Load())
}
