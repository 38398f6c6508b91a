package natsx

import (
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// instrumentationName names the meter and tracer of this package.
const instrumentationName = "github.com/xtsync/xtsync/pkg/natsx"

// Attribute keys of the natsx metrics.
const (
	attrStream   = "stream"
	attrConsumer = "consumer"
	attrResult   = "result"
)

// Results recorded on xtsync.natsx.published and handler duration.
const (
	resultOK        = "ok"
	resultDuplicate = "duplicate"
	resultError     = "error"
	resultRetry     = "retry"
	resultPermanent = "permanent"
)

// metrics holds the instruments; one set per Publisher or Consume call.
type metrics struct {
	published       metric.Int64Counter
	acked           metric.Int64Counter
	naked           metric.Int64Counter
	termed          metric.Int64Counter
	redelivered     metric.Int64Counter
	deadLettered    metric.Int64Counter
	handlerDuration metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(instrumentationName)
	var (
		ms   metrics
		errs [7]error
	)
	ms.published, errs[0] = m.Int64Counter("xtsync.natsx.published",
		metric.WithDescription("JetStream publishes resolved, by stream and result (ok, duplicate, error)."))
	ms.acked, errs[1] = m.Int64Counter("xtsync.natsx.acked",
		metric.WithDescription("Messages a handler finished and the runner acknowledged."))
	ms.naked, errs[2] = m.Int64Counter("xtsync.natsx.naked",
		metric.WithDescription("Messages negatively acknowledged for redelivery (transient errors, drain)."))
	ms.termed, errs[3] = m.Int64Counter("xtsync.natsx.terminated",
		metric.WithDescription("Messages terminated: permanent errors and exhausted deliveries."))
	ms.redelivered, errs[4] = m.Int64Counter("xtsync.natsx.redelivered",
		metric.WithDescription("Deliveries of a message after its first (crash, ack timeout or nak)."))
	ms.deadLettered, errs[5] = m.Int64Counter("xtsync.natsx.dead_lettered",
		metric.WithDescription("Messages handed to the dead-letter hook."))
	ms.handlerDuration, errs[6] = m.Float64Histogram("xtsync.natsx.handler.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Handler time per message, by consumer and result."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 120))
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("natsx: create metrics: %w", err)
		}
	}
	return &ms, nil
}
