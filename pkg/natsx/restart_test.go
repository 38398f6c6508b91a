package natsx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// TestServerRestartLosesNothingAcknowledged restarts JetStream (Shutdown,
// then StartEmbedded on the same StoreDir and port) while a consumer runs:
// every message acknowledged to the publisher is handled, the consumer
// resumes by itself, and publishing after the restart works.
func TestServerRestartLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard)
	rec := newRecorder()
	slow := func(_ context.Context, m *natsx.Msg) error {
		rec.see(m)
		rec.apply(m)
		time.Sleep(2 * time.Millisecond) // the restart lands mid-stream
		return nil
	}
	publishChanges(t, e, 200, "before")
	runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), slow, natsx.ConsumeOptions{Batch: 16, Concurrency: 2})
	require.Eventually(t, func() bool { a, _ := rec.counts(); return a >= 20 }, 10*time.Second, 5*time.Millisecond)

	e.restart()
	applied, _ := rec.counts()
	require.Less(t, applied, 200, "the restart happened mid-stream")

	// The client reconnects on its own; publish through it once it has.
	require.Eventually(t, e.nc.IsConnected, 10*time.Second, 20*time.Millisecond)
	publishChanges(t, e, 100, "after")

	require.Eventually(t, func() bool { a, _ := rec.counts(); return a == 300 }, 20*time.Second, 20*time.Millisecond,
		"every acknowledged publish is handled after the restart")
	rec.mu.Lock()
	for i := range 200 {
		require.Equal(t, 1, rec.applied[fmt.Sprint("before-", i)])
	}
	rec.mu.Unlock()
	// An ack lost in the restart brings its message back after AckWait; the
	// idempotent handler takes it again and the work queue empties.
	require.Eventually(t, func() bool {
		lag, err := natsx.Pending(context.Background(), e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)))
		return err == nil && lag.Total() == 0
	}, 15*time.Second, 50*time.Millisecond)
}
