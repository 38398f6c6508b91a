package synclog_test

import (
	"fmt"
	"testing"
	"time"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/synclog"
)

// BenchmarkLogOutcomes measures outcomes logged per second end to end:
// OutcomeBatches of 100 published, entries stored, escrows and counters
// written; sync=true fsyncs every JetStream write, as deployed.
// go test ./synclog -run '^$' -bench LogOutcomes -benchtime 20000x -benchmem
func BenchmarkLogOutcomes(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%t", sync), func(b *testing.B) {
			benchLogOutcomes(b, newEnvServer(b, natsx.EmbeddedConfig{StoreDir: b.TempDir(), SyncAlways: sync}, nil))
		})
	}
}

func benchLogOutcomes(b *testing.B, e *env) {
	e.startCycle("bench")
	b.ResetTimer()
	for start := 0; start < b.N; start += 100 {
		var outs []*eventsv1.WriteOutcome
		for i := start; i < min(start+100, b.N); i++ {
			outs = append(outs, outcome("bench", i, update, i%50 != 0, map[bool]string{true: "EntryConflict"}[i%50 == 0]))
		}
		e.publishBatch(cfgID, "bench", fmt.Sprintf("bench-%d", start), outs...)
	}
	e.progressWithin("bench", 10*time.Minute, func(p synclog.Progress) bool { return p.Logged == int64(b.N) })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "outcomes/s")
}

// BenchmarkListPage measures one newest-first page of 100 from a cycle of
// b.N entries (setup excluded).
func BenchmarkListPage(b *testing.B) {
	e := newEnv(b)
	const n = 20_000
	for start := 0; start < n; start += 500 {
		var outs []*eventsv1.WriteOutcome
		for i := start; i < start+500; i++ {
			outs = append(outs, outcome("lp", i, update, true, ""))
		}
		e.publishBatch(cfgID, "lp", fmt.Sprintf("lp-%d", start), outs...)
	}
	e.progress("lp", func(p synclog.Progress) bool { return p.Logged == n })
	c := e.client(sourceTenant)
	req := &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: "lp"}}
	b.ResetTimer()
	for range b.N {
		resp, err := c.ListProvisioningLogs(ctxT(b), req)
		if err != nil || len(resp.GetEntries()) != 100 {
			b.Fatalf("list: %v (%d)", err, len(resp.GetEntries()))
		}
	}
}
