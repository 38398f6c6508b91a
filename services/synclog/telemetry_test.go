package synclog_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/synclog"
)

// One span per OutcomeBatch with its configuration, cycle and counts; the
// objects metric by action and status; quarantine events.
func TestTelemetry(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	e := newEnvDeps(t, func(d *synclog.Deps) { d.TracerProvider, d.MeterProvider = tp, mp },
		func(c *synclog.Config) { c.Quarantine.AuthMinFailures = 1 })
	o := outcome("tel", 2, create, false, "AuthorizationDenied")
	e.publishBatch(cfgID, "tel", "tel0", o)
	e.quarantine(func(_ redisx.Quarantine, err error) bool { return err == nil })
	e.publishBatch(cfgID, "tel", "tel1", outcome("tel", 1, create, true, ""), outcome("tel", 3, create, false, "EntryConflict"))
	e.progress("tel", func(p synclog.Progress) bool { return p.Logged == 3 })

	var batch sdktrace.ReadOnlySpan
	require.Eventually(t, func() bool {
		for _, s := range spans.Ended() {
			if s.Name() == "synclog.outcome_batch" && len(s.Attributes()) > 0 && s.Attributes()[0].Value.AsString() == cfgID && hasAttr(s, "status.Success") {
				batch = s
				return true
			}
		}
		return false
	}, defaultWait, tick)
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range batch.Attributes() {
		attrs[kv.Key] = kv.Value
	}
	require.Equal(t, cfgID, attrs["xtsync.configuration_id"].AsString())
	require.Equal(t, "tel", attrs["xtsync.cycle_id"].AsString())
	require.EqualValues(t, 2, attrs["outcomes"].AsInt64())
	require.EqualValues(t, 1, attrs["status.Success"].AsInt64())
	require.EqualValues(t, 1, attrs["status.Failure"].AsInt64())

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range s.DataPoints {
					key := m.Name
					for _, kv := range dp.Attributes.ToSlice() {
						key += "," + string(kv.Key) + "=" + kv.Value.Emit()
					}
					sums[key] += dp.Value
				}
			}
		}
	}
	require.EqualValues(t, 1, sums["xtsync.synclog.objects,action=Create,status=Success"])
	require.EqualValues(t, 2, sums["xtsync.synclog.objects,action=Create,status=Failure"])
	require.EqualValues(t, 1, sums["xtsync.synclog.quarantine.events,event=enter,reason=EncounteredQuarantineException"])
}

func hasAttr(s sdktrace.ReadOnlySpan, key attribute.Key) bool {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return true
		}
	}
	return false
}
