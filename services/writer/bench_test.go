package writer_test

import (
	"fmt"
	"sync"
	"testing"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// BenchmarkApplyCreates applies 1,000 user creates (an invitation and a
// PATCH each, after the match and idempotency lookups) against an
// unthrottled graphsim, 50 intents per IntentBatch and 4 batches at once
// as Run does with the default concurrency, and reports Graph writes per
// second.
func BenchmarkApplyCreates(b *testing.B) {
	const n, per, parallel = 1000, 50, 4
	e := newEnv(b)
	w := e.newWriter()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batches := creates(e, fmt.Sprintf("bench%d", i), n, per)
		b.StartTimer()
		queue := make(chan *eventsv1.IntentBatch, len(batches))
		for _, batch := range batches {
			queue <- batch
		}
		close(queue)
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				for batch := range queue {
					out, err := w.Apply(b.Context(), batch)
					if err != nil {
						b.Error(err)
						return
					}
					for _, o := range out.GetOutcomes() {
						if !o.GetSuccess() {
							b.Errorf("%v", o.GetError())
						}
					}
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	st := e.sim.Stats(e.tenant.ID())
	b.ReportMetric(float64(st.Writes)/float64(b.N), "writes/op")
	b.ReportMetric(float64(st.Writes)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "creates/s")
}
