package transformer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xtsync/xtsync/services/transformer"
)

// TestTelemetry: one span per batch with its coordinates and counts by
// action; objects counted by action and code; the batch duration recorded.
func TestTelemetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = mp.Shutdown(ctxT(t)); _ = tp.Shutdown(ctxT(t)) })
	tr, err := transformer.New(f.cfg, transformer.Deps{Rules: f.rules, Connectors: f.cds, Redis: f.rdb,
		Logger: quiet, MeterProvider: mp, TracerProvider: tp, Now: func() time.Time { return now }})
	require.NoError(t, err)

	_, err = tr.Transform(ctxT(t), batch(5, user("u1"), user("u2"), user("u9"), user("u3", "department", "Contractors")))
	require.NoError(t, err)

	ended := spans.Ended()
	require.Len(t, ended, 1)
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range ended[0].Attributes() {
		attrs[kv.Key] = kv.Value
	}
	require.Equal(t, "transformer.batch", ended[0].Name())
	require.Equal(t, cfgID, attrs["xtsync.configuration_id"].AsString())
	require.Equal(t, cycle, attrs["xtsync.cycle_id"].AsString())
	require.EqualValues(t, 5, attrs["xtsync.page"].AsInt64())
	require.EqualValues(t, 2, attrs["xtsync.intents.create"].AsInt64())
	require.EqualValues(t, 2, attrs["xtsync.intents.skip"].AsInt64(), "summed over codes")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctxT(t), &rm))
	got := map[string]int64{}
	sawDuration := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					a, _ := dp.Attributes.Value("action")
					c, _ := dp.Attributes.Value("code")
					got[m.Name+"/"+a.AsString()+"/"+c.AsString()] += dp.Value
				}
			case metricdata.Histogram[float64]:
				sawDuration = sawDuration || (m.Name == "xtsync.transformer.batch.duration" && d.DataPoints[0].Count == 1)
			}
		}
	}
	require.Equal(t, map[string]int64{
		"xtsync.transformer.objects/WRITE_ACTION_CREATE/":                     2,
		"xtsync.transformer.objects/WRITE_ACTION_SKIP/NotEffectivelyEntitled": 1,
		"xtsync.transformer.objects/WRITE_ACTION_SKIP/NotInScope":             1,
	}, got)
	require.True(t, sawDuration)
}
