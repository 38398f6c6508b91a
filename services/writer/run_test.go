package writer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/writer"
)

// startNATS runs an embedded JetStream with the xtsync topology (2 intent
// shards, quick redelivery).
func startNATS(t *testing.T) (jetstream.JetStream, natsx.TopologyConfig) {
	t.Helper()
	return startNATSShards(t, 2)
}

// startNATSShards is startNATS with n intent shards.
func startNATSShards(t *testing.T, n int) (jetstream.JetStream, natsx.TopologyConfig) {
	t.Helper()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := natsx.Connect(natsx.Config{URL: srv.ClientURL(), Name: t.Name(), ReconnectWait: 50 * time.Millisecond, MaxReconnects: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := natsx.NewJetStream(nc)
	require.NoError(t, err)
	topo := natsx.DefaultTopologyConfig()
	topo.ChangeShards, topo.IntentShards = 2, n
	topo.DuplicateWindow = 2 * time.Minute
	topo.WorkMaxBytes, topo.LogMaxBytes = 64<<20, 64<<20
	topo.Writer = natsx.ConsumerTuning{AckWait: 10 * time.Second, MaxDeliver: 20, MaxAckPending: 64}
	require.NoError(t, natsx.EnsureTopology(ctxT(t), js, topo))
	return js, topo
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	s, err := js.Stream(ctxT(t), name)
	require.NoError(t, err)
	info, err := s.Info(ctxT(t))
	require.NoError(t, err)
	return info.State.Msgs
}

// runWriter starts w.Run; the returned stop cancels it and returns Run's
// error after the drain.
func runWriter(w *writer.Writer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() error { cancel(); return <-done }
}

// TestRunGracefulStop publishes IntentBatches, stops a writer in the middle
// (rollout), lets a second replica finish, and checks that every intent was
// applied once and reported once.
func TestRunGracefulStop(t *testing.T) {
	t.Parallel()
	const batches, per = 30, 5
	e := newEnv(t, func(l *graphsim.Limits, c *writer.Config) {
		l.Latency = 3 * time.Millisecond // so the stop lands mid-way
		c.Shards, c.Concurrency, c.BatchSize = []int{0, 1}, 2, 4
		c.Drain.InProgress = 2 * time.Second
	})
	js, topo := startNATS(t)
	pub, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
	require.NoError(t, err)
	before := e.tenant.UserCount()
	for i, b := range creates(e, "run", batches*per, per) {
		key := fmt.Sprintf("batch-%d", i)
		b.Shard = int32(natsx.ShardOf(key, topo.IntentShards))
		subj, err := natsx.IntentSubject(e.tenant.ID(), cfgID, key, topo.IntentShards)
		require.NoError(t, err)
		require.NoError(t, pub.Publish(ctxT(t), subj, b, "c1/"+key, natsx.WithOrderKey(key)))
	}
	require.NoError(t, pub.WaitAll(ctxT(t)))

	withNATS := func(d *writer.Deps) {
		p, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
		require.NoError(t, err)
		d.JetStream, d.Publisher = js, p
	}
	stopA := runWriter(e.newWriter(withNATS))
	require.Eventually(t, func() bool { return streamMsgs(t, js, natsx.StreamOutcomes) >= 5 }, time.Minute, 10*time.Millisecond)
	require.NoError(t, stopA())
	doneA := streamMsgs(t, js, natsx.StreamOutcomes)
	t.Logf("first replica stopped after %d of %d batches", doneA, batches)

	stopB := runWriter(e.newWriter(withNATS))
	require.Eventually(t, func() bool {
		return streamMsgs(t, js, natsx.StreamOutcomes) == batches && streamMsgs(t, js, natsx.StreamIntents) == 0
	}, time.Minute, 20*time.Millisecond)
	require.NoError(t, stopB())

	requireExactlyOnce(t, e, before, "run", batches*per)
	s, err := js.Stream(ctxT(t), natsx.StreamOutcomes)
	require.NoError(t, err)
	seen := map[string]int{}
	for seq := uint64(1); seq <= batches; seq++ {
		m, err := s.GetMsg(ctxT(t), seq)
		require.NoError(t, err)
		var ob eventsv1.OutcomeBatch
		require.NoError(t, proto.Unmarshal(m.Data, &ob))
		for _, o := range ob.GetOutcomes() {
			require.True(t, o.GetSuccess(), "%v", o.GetError())
			seen[o.GetIntentId()]++
		}
	}
	require.Len(t, seen, batches*per)
	for id, n := range seen {
		require.Equal(t, 1, n, id)
	}
}
