package transformer_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

// natsFixture is a fixture plus an embedded JetStream with the xtsync
// topology (2 change and 2 intent shards, 1s ack waits).
type natsFixture struct {
	*fixture
	js   jetstream.JetStream
	topo natsx.TopologyConfig
}

func newNATSFixture(t testing.TB, mut ...func(*spec.Rules)) *natsFixture {
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
	topo.ChangeShards, topo.IntentShards = 2, 2
	topo.DuplicateWindow = 2 * time.Minute
	topo.WorkMaxBytes, topo.LogMaxBytes = 64<<20, 64<<20
	fast := natsx.ConsumerTuning{AckWait: time.Second, MaxDeliver: 10, MaxAckPending: 256}
	topo.Cycles, topo.Transformer, topo.Writer, topo.Synclog = fast, fast, fast, fast
	require.NoError(t, natsx.EnsureTopology(ctxT(t), js, topo))

	f := newFixture(t, redistest.Start(t, redistest.Options{}), mut...)
	cfg := f.cfg
	cfg.DrainTimeout = 10 * time.Second
	tr, err := transformer.New(cfg, transformer.Deps{Rules: f.rules, Connectors: f.cds, Redis: f.rdb, JetStream: js,
		Now: func() time.Time { return now }, Logger: quiet})
	require.NoError(t, err)
	f.tr = tr
	return &natsFixture{fixture: f, js: js, topo: topo}
}

// shardBatches splits changes by shard like the reader.
func (n *natsFixture) shardBatches(page int64, changes ...*eventsv1.SourceChange) []*eventsv1.SourceChangeBatch {
	byShard := map[int][]*eventsv1.SourceChange{}
	for _, ch := range changes {
		k := natsx.ShardOf(ch.GetObject().GetObjectId(), n.topo.ChangeShards)
		byShard[k] = append(byShard[k], ch)
	}
	var out []*eventsv1.SourceChangeBatch
	for k := range n.topo.ChangeShards {
		if chs := byShard[k]; len(chs) > 0 {
			b := batch(page, chs...)
			b.Shard = int32(k)
			out = append(out, b)
		}
	}
	return out
}

// publishBatches publishes shardBatches with msg ids
// "<cycle>/users/<page>/<shard>".
func (n *natsFixture) publishBatches(page int64, changes ...*eventsv1.SourceChange) []string {
	n.t.Helper()
	ctx := ctxT(n.t)
	p, err := natsx.NewPublisher(n.js, natsx.PublisherOptions{})
	require.NoError(n.t, err)
	var ids []string
	for _, b := range n.shardBatches(page, changes...) {
		chs := b.GetChanges()
		subj, err := natsx.ChangeSubject(cfgID, chs[0].GetObject().GetObjectId(), n.topo.ChangeShards)
		require.NoError(n.t, err)
		id := cycle + "/users/" + itoa(page) + "/" + itoa(int64(b.GetShard()))
		require.NoError(n.t, p.Publish(ctx, subj, b, id))
		ids = append(ids, id)
	}
	require.NoError(n.t, p.WaitAll(ctx))
	return ids
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// run starts Run in the background; stop cancels it and returns its error.
func (n *natsFixture) run(tr *transformer.Transformer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	stopped := false
	var err error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	n.t.Cleanup(func() { _ = stop() })
	return stop
}

// received is one message taken from a work stream.
type received struct {
	msgID string
	data  []byte
}

// fetch takes (and acks) what the durable holds, up to max, waiting at
// most 200ms.
func (n *natsFixture) fetch(ctx context.Context, stream, durable string, max int) []received {
	n.t.Helper()
	c, err := n.js.Consumer(ctx, stream, durable)
	require.NoError(n.t, err)
	batch, err := c.Fetch(max, jetstream.FetchMaxWait(200*time.Millisecond))
	require.NoError(n.t, err)
	var out []received
	for m := range batch.Messages() {
		out = append(out, received{msgID: m.Headers().Get(nats.MsgIdHdr), data: m.Data()})
		require.NoError(n.t, m.Ack())
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		require.NoError(n.t, err)
	}
	return out
}

// intentBatches collects want IntentBatches from both writer shards.
func (n *natsFixture) intentBatches(want int) map[string]*eventsv1.IntentBatch {
	n.t.Helper()
	ctx := ctxT(n.t)
	out := map[string]*eventsv1.IntentBatch{}
	for len(out) < want && ctx.Err() == nil {
		for k := range n.topo.IntentShards {
			for _, r := range n.fetch(ctx, natsx.StreamIntents, natsx.WriterConsumer(k), 100) {
				var ib eventsv1.IntentBatch
				require.NoError(n.t, proto.Unmarshal(r.data, &ib))
				require.NotContains(n.t, out, r.msgID, "duplicate intent batch")
				out[r.msgID] = &ib
			}
		}
	}
	return out
}

func (n *natsFixture) streamMsgs(name string) uint64 {
	n.t.Helper()
	s, err := n.js.Stream(ctxT(n.t), name)
	require.NoError(n.t, err)
	info, err := s.Info(ctxT(n.t))
	require.NoError(n.t, err)
	return info.State.Msgs
}
