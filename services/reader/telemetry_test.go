package reader_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xtsync/xtsync/services/reader"
)

// TestTelemetry: one span per cycle and per page, with the configuration
// and cycle ids, and the page/object counters.
func TestTelemetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 120, groups: 2, pageSize: 50})
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	mr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(mr))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	r, err := reader.New(e.cfg, reader.Deps{Sources: e.sources, JetStream: e.js, Watermarks: e.wm,
		Logger: testLogger(t), TracerProvider: tp, MeterProvider: mp})
	require.NoError(t, err)
	require.NoError(t, r.RunCycle(ctxT(t), start("c1", delta)))

	pages, cycles := 0, 0
	for _, s := range spans.Ended() {
		attrs := map[string]string{}
		for _, kv := range s.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		switch s.Name() {
		case "reader.page":
			pages++
			require.Equal(t, testCfg, attrs["xtsync.configuration_id"])
			require.Equal(t, "c1", attrs["xtsync.cycle_id"])
			require.NotEmpty(t, attrs["objects"])
		case "reader.cycle":
			cycles++
			require.Equal(t, "c1", attrs["xtsync.cycle_id"])
			require.Equal(t, "122", attrs["changes"])
			require.Equal(t, "ok", attrs["result"])
		}
	}
	require.Equal(t, 1, cycles)
	require.Equal(t, 4, pages, "3 users pages + 1 groups page")

	var rm metricdata.ResourceMetrics
	require.NoError(t, mr.Collect(ctxT(t), &rm))
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			}
		}
	}
	require.EqualValues(t, 4, sums["xtsync.reader.pages"])
	require.EqualValues(t, 122, sums["xtsync.reader.objects"])
	require.EqualValues(t, 1, sums["xtsync.reader.cycles"])
	require.Zero(t, sums["xtsync.reader.publish.failures"])
}
