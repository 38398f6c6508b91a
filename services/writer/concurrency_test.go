package writer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/natsx"
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
