package writer

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// metrics are the writer's OTel instruments, under xtsync.writer.
type metrics struct {
	writes           metric.Int64Counter
	throttled        metric.Int64Counter
	unsupportedMatch metric.Int64Counter
	limiterWait      metric.Float64Histogram
	graphLatency     metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := mp.Meter(instrumentationName)
	var err error
	var out metrics
	if out.writes, err = m.Int64Counter("xtsync.writer.intents",
		metric.WithDescription("Intents applied, by action, result and code.")); err != nil {
		return nil, err
	}
	if out.throttled, err = m.Int64Counter("xtsync.writer.graph.throttled",
		metric.WithDescription("Graph 429 answers (each pauses every writer of the tenant).")); err != nil {
		return nil, err
	}
	if out.unsupportedMatch, err = m.Int64Counter("xtsync.writer.match.refused",
		metric.WithDescription("Match queries Graph refused (400), skipped.")); err != nil {
		return nil, err
	}
	if out.limiterWait, err = m.Float64Histogram("xtsync.writer.limiter.wait", metric.WithUnit("s"),
		metric.WithDescription("Time waiting for the shared write budget before a $batch.")); err != nil {
		return nil, err
	}
	if out.graphLatency, err = m.Float64Histogram("xtsync.writer.graph.batch.duration", metric.WithUnit("s"),
		metric.WithDescription("Latency of Graph $batch calls.")); err != nil {
		return nil, err
	}
	return &out, nil
}

func (m *metrics) tenantAttr(tenant string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("target_tenant_id", tenant))
}

func (m *metrics) outcomeAttrs(a eventsv1.WriteAction, o *eventsv1.WriteOutcome) metric.MeasurementOption {
	result := "success"
	if !o.GetSuccess() {
		result = "failure"
	}
	return metric.WithAttributes(attribute.String("action", a.String()), attribute.String("result", result),
		attribute.String("code", o.GetError().GetCode()))
}
