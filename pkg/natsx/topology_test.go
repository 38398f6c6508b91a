package natsx_test

import (
	"flag"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestEnsureTopologyIsIdempotentAndUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)

	// Ensure again with the same config: nothing changes, nothing fails.
	require.NoError(t, natsx.EnsureTopology(ctx, e.js, e.cfg))
	names := map[string]jetstream.RetentionPolicy{}
	for info := range e.js.ListStreams(ctx).Info() {
		names[info.Config.Name] = info.Config.Retention
	}
	require.Equal(t, map[string]jetstream.RetentionPolicy{
		natsx.StreamCycles:      jetstream.InterestPolicy,
		natsx.StreamChanges:     jetstream.WorkQueuePolicy,
		natsx.StreamIntents:     jetstream.WorkQueuePolicy,
		natsx.StreamOutcomes:    jetstream.InterestPolicy,
		natsx.StreamLogs:        jetstream.LimitsPolicy,
		natsx.StreamDeadLetters: jetstream.WorkQueuePolicy,
	}, names)

	tests := []struct {
		name   string
		mutate func(*natsx.TopologyConfig)
		check  func(t *testing.T)
	}{
		{
			name:   "duplicate window",
			mutate: func(c *natsx.TopologyConfig) { c.DuplicateWindow = 10 * time.Minute },
			check: func(t *testing.T) {
				s, err := e.js.Stream(ctx, natsx.StreamChanges)
				require.NoError(t, err)
				require.Equal(t, 10*time.Minute, s.CachedInfo().Config.Duplicates)
			},
		},
		{
			name:   "consumer flow control",
			mutate: func(c *natsx.TopologyConfig) { c.Transformer.MaxAckPending = 7 },
			check: func(t *testing.T) {
				info, err := e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(1)).Info(ctx)
				require.NoError(t, err)
				require.Equal(t, 7, info.Config.MaxAckPending)
				require.Equal(t, "xtsync.changes.*.1", info.Config.FilterSubject)
			},
		},
		{
			name:   "more shards",
			mutate: func(c *natsx.TopologyConfig) { c.IntentShards = 4 },
			check: func(t *testing.T) {
				info, err := e.consumer(natsx.StreamIntents, natsx.WriterConsumer(3)).Info(ctx)
				require.NoError(t, err)
				require.Equal(t, "xtsync.intents.*.*.3", info.Config.FilterSubject)
			},
		},
		{
			name:   "fewer idle shards are pruned",
			mutate: func(c *natsx.TopologyConfig) { c.IntentShards = 1 },
			check: func(t *testing.T) {
				_, err := e.js.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(3))
				require.ErrorIs(t, err, jetstream.ErrConsumerNotFound)
				_, err = e.js.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(0))
				require.NoError(t, err)
			},
		},
	}
	for _, tt := range tests { // sequential: each builds on the server state
		t.Run(tt.name, func(t *testing.T) {
			tt.mutate(&e.cfg)
			require.NoError(t, natsx.EnsureTopology(ctx, e.js, e.cfg))
			require.NoError(t, natsx.EnsureTopology(ctx, e.js, e.cfg))
			tt.check(t)
		})
	}
}

func TestEnsureTopologyRefusesToDropShardsWithWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	p := e.publisher(natsx.PublisherOptions{})
	// Find an object on shard 1 of 2 and queue a change for it.
	obj := "00000000-0000-0000-0000-000000000000"
	for i := 0; natsx.ShardOf(obj, 2) != 1; i++ {
		obj = "object-" + string(rune('a'+i))
	}
	subj, err := natsx.ChangeSubject("cfg1", obj, 2)
	require.NoError(t, err)
	require.NoError(t, p.Publish(ctx, subj, &eventsv1.SourceChange{ConfigurationId: "cfg1"}, "m1"))
	require.NoError(t, p.WaitAll(ctx))

	e.cfg.ChangeShards = 1
	err = natsx.EnsureTopology(ctx, e.js, e.cfg)
	require.ErrorContains(t, err, "drain before shrinking")
	_, err = e.js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(1))
	require.NoError(t, err, "a shard with work must survive")
}

func TestTopologyConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(*natsx.TopologyConfig)
		wantErr string
	}{
		{"defaults", func(*natsx.TopologyConfig) {}, ""},
		{"duplicate window too short", func(c *natsx.TopologyConfig) { c.DuplicateWindow = time.Minute }, "duplicate window"},
		{"duplicate window too long", func(c *natsx.TopologyConfig) { c.DuplicateWindow = 25 * time.Hour }, "duplicate window"},
		{"no shards", func(c *natsx.TopologyConfig) { c.ChangeShards = 0 }, "change shards"},
		{"backoff longer than max deliver", func(c *natsx.TopologyConfig) {
			c.Writer.BackOff = []time.Duration{time.Minute, 2 * time.Minute}
			c.Writer.MaxDeliver = 2
		}, "must exceed the 2 backoff steps"},
		{"sub-second ack wait", func(c *natsx.TopologyConfig) { c.Synclog.AckWait = 10 * time.Millisecond }, "synclog: ack wait"},
		{"zero max deliver", func(c *natsx.TopologyConfig) { c.Cycles.MaxDeliver = 0 }, "cycles: max deliver"},
		{"replicas", func(c *natsx.TopologyConfig) { c.Replicas = 0 }, "replicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := natsx.DefaultTopologyConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestTopologyConfigFlags(t *testing.T) {
	t.Parallel()
	var cfg natsx.TopologyConfig
	f := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg.RegisterFlags("nats.topology.", f)
	require.Equal(t, natsx.DefaultTopologyConfig(), cfg)
	require.NoError(t, f.Parse([]string{
		"-nats.topology.replicas=3",
		"-nats.topology.writer.backoff=30s, 1m,5m",
		"-nats.topology.max-msg-size=2048",
		"-nats.topology.duplicate-window=20m",
	}))
	require.Equal(t, 3, cfg.Replicas)
	require.Equal(t, []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute}, cfg.Writer.BackOff)
	require.EqualValues(t, 2048, cfg.MaxMsgSize)
	require.Equal(t, 20*time.Minute, cfg.DuplicateWindow)
	require.NoError(t, cfg.Validate())
}
