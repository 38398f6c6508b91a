package writer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/writer"
)

// TestRunConcurrencyIsPerProcess: a writer's concurrency is one limit over
// all the shards it consumes, so the $batch calls in flight at Graph
// (graphsim's peak, with 100 ms of latency per call) equal the process
// limit, not shards x limit; two processes splitting the shards keep twice
// as many in flight. Every intent is applied once either way.
func TestRunConcurrencyIsPerProcess(t *testing.T) {
	t.Parallel()
	const (
		shards = 4
		limit  = 2
		per    = 5 // batches per shard
	)
	tests := []struct {
		name      string
		processes [][]int // the shards of each writer process
	}{
		{"one process, four shards", [][]int{{0, 1, 2, 3}}},
		{"two processes, two shards each", [][]int{{0, 2}, {1, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(l *graphsim.Limits, c *writer.Config) {
				l.Latency = 100 * time.Millisecond // writers wait on Graph, not CPU
				c.Concurrency, c.PerTenant, c.BatchCalls = limit, limit, 1
				c.Drain.InProgress = 2 * time.Second
			})
			js, _ := startNATSShards(t, shards)
			pub, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
			require.NoError(t, err)
			before := e.tenant.UserCount()
			// Two creates per batch: each round of a batch is one $batch call.
			batches := creates(e, "conc", shards*per*2, 2)
			count := make([]int, shards)
			for i, key := 0, 0; i < len(batches); key++ {
				shard := natsx.ShardOf(fmt.Sprintf("k-%d", key), shards)
				if count[shard] == per {
					continue
				}
				count[shard]++
				b := batches[i]
				b.Shard = int32(shard)
				subj, err := natsx.IntentSubject(e.tenant.ID(), cfgID, fmt.Sprintf("k-%d", key), shards)
				require.NoError(t, err)
				require.NoError(t, pub.Publish(ctxT(t), subj, b, fmt.Sprintf("c1/%d", i)))
				i++
			}
			require.NoError(t, pub.WaitAll(ctxT(t)))

			var stops []func() error
			for _, own := range tc.processes {
				e.cfg.Shards = own
				stops = append(stops, runWriter(e.newWriter(func(d *writer.Deps) {
					p, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
					require.NoError(t, err)
					d.JetStream, d.Publisher = js, p
				})))
			}
			require.Eventually(t, func() bool {
				return streamMsgs(t, js, natsx.StreamOutcomes) == uint64(len(batches)) && streamMsgs(t, js, natsx.StreamIntents) == 0
			}, time.Minute, 20*time.Millisecond)
			for _, stop := range stops {
				require.NoError(t, stop())
			}

			requireExactlyOnce(t, e, before, "conc", shards*per*2)
			st := e.sim.Stats(e.tenant.ID())
			t.Logf("%d $batch calls, at most %d at once", st.Batches, st.MaxBatchesInFlight)
			require.EqualValues(t, limit*len(tc.processes), st.MaxBatchesInFlight,
				"in flight = processes x the per-process limit (not shards x limit = %d)", shards*limit)
		})
	}
}

// TestRunSlowTenantLeavesSlots: one writer process (limit 4, at most 3 per
// target tenant) consumes intents of two configurations whose targets are
// a slow tenant (1 s per Graph call) and a fast one. The slow tenant never
// holds more than its 3 slots, so the fast one always has one: it is
// mirrored while the slow one is still being written, whose floor (three
// waves of batches of at least three 1 s calls) is far above the fast one's.
func TestRunSlowTenantLeavesSlots(t *testing.T) {
	t.Parallel()
	const per = 9 // batches per configuration, 2 creates each
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := graphsim.Start(ctx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{Seed: 7, Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}},
		{Seed: 8, Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Latency: time.Second}},
	}})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, srv.Close())
	})
	fast, slow := srv.Tenants()[0], srv.Tenants()[1]
	require.NotEqual(t, fast.ID(), slow.ID())
	cfg := writer.DefaultConfig()
	cfg.WritesPerMinute, cfg.WriteBurst = 1_000_000, 1000
	cfg.Shards, cfg.Concurrency, cfg.BatchCalls = []int{0, 1}, 4, 1
	cfg.Drain.InProgress = 2 * time.Second
	e := &env{t: t, sim: srv, tenant: slow, cfg: cfg}
	clients := map[string]*graph.Client{"slow": e.newClient()}
	e.tenant = fast
	clients["fast"] = e.newClient()
	e.redis = redistest.Start(t, redistest.Options{})
	e.rdb = e.redis.Client(t)

	js, topo := startNATS(t)
	pub, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
	require.NoError(t, err)
	before := map[string]int{"slow": slow.UserCount(), "fast": fast.UserCount()}
	// Slow first: its batches are ahead in every queue.
	for _, c := range []struct {
		name   string
		tenant *graphsim.Tenant
	}{{"slow", slow}, {"fast", fast}} {
		for i, b := range creates(e, c.name, 2*per, 2) {
			b.ConfigurationId, b.TargetTenantId = c.name, c.tenant.ID()
			for _, in := range b.GetIntents() {
				in.ConfigurationId = c.name
			}
			key := fmt.Sprintf("%s-%d", c.name, i)
			b.Shard = int32(natsx.ShardOf(key, topo.IntentShards))
			subj, err := natsx.IntentSubject(c.tenant.ID(), c.name, key, topo.IntentShards)
			require.NoError(t, err)
			require.NoError(t, pub.Publish(ctxT(t), subj, b, key))
		}
	}
	require.NoError(t, pub.WaitAll(ctxT(t)))

	stop := runWriter(e.newWriter(func(d *writer.Deps) {
		p, err := natsx.NewPublisher(js, natsx.PublisherOptions{})
		require.NoError(t, err)
		d.JetStream, d.Publisher = js, p
		d.Targets = writer.StaticTargets{ByID: map[string]graph.Target{"slow": clients["slow"], "fast": clients["fast"]}}
	}))
	require.Eventually(t, func() bool { return fast.UserCount() == before["fast"]+2*per }, time.Minute, 20*time.Millisecond)
	require.Less(t, slow.UserCount(), before["slow"]+2*per, "the slow tenant is still being written")
	require.Eventually(t, func() bool { return streamMsgs(t, js, natsx.StreamIntents) == 0 }, 2*time.Minute, 50*time.Millisecond)
	require.NoError(t, stop())
	require.Equal(t, before["slow"]+2*per, slow.UserCount(), "every slow user once")
	require.EqualValues(t, 3, slow.Stats().MaxBatchesInFlight, "the slow tenant holds at most its share (3/4 of 4)")
}
