package transformer_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

func users(ids ...string) []*eventsv1.SourceChange {
	out := make([]*eventsv1.SourceChange, len(ids))
	for i, id := range ids {
		out[i] = user(id)
	}
	return out
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t)
	ids := f.publishBatches(1, users("u1", "u2", "u3", "u9")...)
	ids = append(ids, f.publishBatches(2, group("g-staff", []string{"u1"}))...)
	stop := f.run(f.tr)

	got := f.intentBatches(len(ids))
	require.ElementsMatch(t, ids, keys(got), "one IntentBatch per input, with the input's msg id")
	actions := map[eventsv1.WriteAction]int{}
	for _, ib := range got {
		require.Equal(t, tenant, ib.GetTargetTenantId())
		require.Equal(t, cfgID, ib.GetConfigurationId())
		for _, wi := range ib.GetIntents() {
			require.Equal(t, int(ib.GetShard()), natsx.ShardOf(wi.GetSource().GetObjectId(), f.topo.IntentShards))
			actions[wi.GetAction()]++
		}
	}
	require.Equal(t, map[eventsv1.WriteAction]int{
		eventsv1.WriteAction_WRITE_ACTION_CREATE: 4, // u1..u3 and the group
		eventsv1.WriteAction_WRITE_ACTION_SKIP:   1, // u9 is not assigned
	}, actions)
	require.Eventually(t, func() bool { return f.streamMsgs(natsx.StreamChanges) == 0 }, 10*time.Second, 20*time.Millisecond,
		"inputs are acked once their intents are stored")
	require.NoError(t, stop())
}

// TestRunRedeliveryDeduplicated simulates a crash after the intents were
// stored and before the input's ack: the batch is redelivered, transformed
// again, and JetStream drops the second IntentBatch by its msg id.
func TestRunRedeliveryDeduplicated(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t)
	var mu sync.Mutex
	calls := map[string]int{}
	transformer.SetAfterPublish(f.tr, func(_ context.Context, msgID string) error {
		mu.Lock()
		defer mu.Unlock()
		calls[msgID]++
		if calls[msgID] == 1 {
			return natsx.Retryable(context.Canceled, time.Millisecond) // "crash" before the ack
		}
		return nil
	})
	ids := f.publishBatches(1, users("u1", "u2", "u3")...)
	stop := f.run(f.tr)
	require.Eventually(t, func() bool { return f.streamMsgs(natsx.StreamChanges) == 0 }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, stop())
	mu.Lock()
	for _, id := range ids {
		// At least twice: a loaded machine can outlast the fixture's 1 s
		// AckWait and earn a third delivery, deduplicated the same way.
		require.GreaterOrEqual(t, calls[id], 2, id)
	}
	mu.Unlock()
	got := f.intentBatches(len(ids))
	require.ElementsMatch(t, ids, keys(got))
	require.Equal(t, uint64(0), f.streamMsgs(natsx.StreamIntents), "no second copy")
}

// TestRunGracefulStopDrains stops Run while a batch is in flight: the batch
// completes and is acked, nothing else is lost, and a restart finishes the
// rest without duplicates.
func TestRunGracefulStopDrains(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t)
	started, release := make(chan string, 1), make(chan struct{})
	var once sync.Once
	transformer.SetAfterPublish(f.tr, func(_ context.Context, msgID string) error {
		first := false
		once.Do(func() { first = true })
		if first {
			started <- msgID
			<-release
		}
		return nil
	})
	var ids []string
	for page := int64(1); page <= 3; page++ {
		ids = append(ids, f.publishBatches(page, users("u1", "u2", "u3", "u9")...)...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.tr.Run(ctx) }()
	inFlight := <-started
	cancel()
	close(release)
	require.NoError(t, <-done, "a drained stop is not an error")

	first := f.intentBatches(1)
	require.Contains(t, first, inFlight, "the in-flight batch finished during the drain")
	require.Equal(t, uint64(len(ids)-len(first)), f.streamMsgs(natsx.StreamChanges), "the rest went back to the stream")

	transformer.SetAfterPublish(f.tr, nil)
	stop := f.run(f.tr)
	rest := f.intentBatches(len(ids) - len(first))
	require.NoError(t, stop())
	for id := range first {
		require.NotContains(t, rest, id)
	}
	require.ElementsMatch(t, ids, append(keys(first), keys(rest)...))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestRunSplitsLargeBatches: ~250 creates per shard batch (~1.15 MB)
// exceed the 1 MiB message limit and go out as parts, each intent once.
func TestRunSplitsLargeBatches(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := range 500 {
		ids = append(ids, fmt.Sprintf("0b5c7a3e-1f2d-4c6b-9a8e-%012d", i))
	}
	f := newNATSFixture(t, func(r *spec.Rules) { r.Assignments.Users = ids })
	inputs := f.publishBatches(1, users(ids...)...)
	stop := f.run(f.tr)
	seen := map[string]bool{}
	parts := 0
	require.Eventually(t, func() bool {
		for k := range f.topo.IntentShards {
			for _, r := range f.fetch(ctxT(t), natsx.StreamIntents, natsx.WriterConsumer(k), 100) {
				require.LessOrEqual(t, len(r.data), 1<<20)
				var ib eventsv1.IntentBatch
				require.NoError(t, proto.Unmarshal(r.data, &ib))
				parts++
				for _, wi := range ib.GetIntents() {
					require.False(t, seen[wi.GetSource().GetObjectId()], "intent twice")
					seen[wi.GetSource().GetObjectId()] = true
				}
			}
		}
		return len(seen) == len(ids)
	}, 20*time.Second, 20*time.Millisecond)
	require.Greater(t, parts, len(inputs), "some inputs were split")
	require.NoError(t, stop())
}
