package writer_test

import (
	"fmt"
	"testing"
)

// BenchmarkApplyCreates applies 1,000 user creates (an invitation and a
// PATCH each, plus the match and idempotency lookups) against an
// unthrottled graphsim and reports Graph writes per second.
func BenchmarkApplyCreates(b *testing.B) {
	const n = 1000
	e := newEnv(b)
	w := e.newWriter()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batches := creates(e, fmt.Sprintf("bench%d", i), n, 50)
		writesBefore := e.sim.Stats(e.tenant.ID()).Writes
		b.StartTimer()
		for _, batch := range batches {
			out, err := w.Apply(b.Context(), batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out.GetOutcomes() {
				if !o.GetSuccess() {
					b.Fatalf("%v", o.GetError())
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(e.sim.Stats(e.tenant.ID()).Writes-writesBefore), "writes/op")
		b.StartTimer()
	}
	b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "creates/s")
}
