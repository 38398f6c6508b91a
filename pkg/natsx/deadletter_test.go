package natsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// TestDeadLetterAfterCrashOnLastDelivery: a message whose every delivery
// times out (the process died each time) never reaches the runner's own
// dead-letter path; the captured MAX_DELIVERIES advisory does, with the
// original payload, and the original leaves the work queue.
func TestDeadLetterAfterCrashOnLastDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard, func(c *natsx.TopologyConfig) { c.Transformer.MaxDeliver = 2 })
	publishChanges(t, e, 1, "poison")
	c := e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0))
	// Two deliveries, never acknowledged; the server notices the limit on
	// the next pull, which gets nothing.
	for _, want := range []int{1, 1, 0} {
		batch, err := c.Fetch(1, jetstream.FetchMaxWait(2500*time.Millisecond))
		require.NoError(t, err)
		var n int
		for range batch.Messages() {
			n++
		}
		require.Equal(t, want, n)
	}

	got := make(chan natsx.DeadLetter, 1)
	runConsume(t, e.consumer(natsx.StreamDeadLetters, natsx.ConsumerDeadLetters),
		natsx.DeadLetterHandler(e.js, func(_ context.Context, d natsx.DeadLetter) { got <- d }),
		natsx.ConsumeOptions{})
	var d natsx.DeadLetter
	select {
	case d = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no dead letter")
	}
	require.Equal(t, natsx.StreamChanges, d.Stream)
	require.Equal(t, natsx.TransformerConsumer(0), d.Consumer)
	require.Equal(t, natsx.DeadLetterMaxDeliver, d.Reason)
	require.Equal(t, "poison-0", d.MsgID)
	require.EqualValues(t, 2, d.NumDelivered)
	require.NotEmpty(t, d.Data)
	require.Eventually(t, func() bool {
		return e.streamMsgs(natsx.StreamChanges) == 0 && e.streamMsgs(natsx.StreamDeadLetters) == 0
	}, 5*time.Second, 20*time.Millisecond)
}
