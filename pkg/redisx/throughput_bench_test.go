package redisx

import (
	"context"
	"testing"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

// BenchmarkConnectorBatches measures the transformer's and writer's hot
// paths in batches of 500 entries (no per-attribute hashes), entries/s:
//
//	go test ./redisx -run '^$' -bench ConnectorBatches
func BenchmarkConnectorBatches(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	cs := NewConnectors(srv.Client(b))
	ctx := context.Background()
	const batch = 500
	es := sampleEntries(20*batch, 0)
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.SourceID
	}
	b.Run("PutMany", func(b *testing.B) {
		for i := range b.N {
			k := i % 20 * batch
			for j := k; j < k+batch; j++ {
				es[j].Version++
			}
			if _, err := cs.PutMany(ctx, "bench", es[k:k+batch]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run("GetMany", func(b *testing.B) {
		for i := range b.N {
			k := i % 20 * batch
			got, err := cs.GetMany(ctx, "bench", ids[k:k+batch])
			if err != nil || len(got) != batch {
				b.Fatal(err, len(got))
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
	})
}
