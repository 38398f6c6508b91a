package transformer

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const instrumentationName = "github.com/xtsync/xtsync/services/transformer"

// Log and attribute keys of this package.
const (
	keyConfiguration = "xtsync.configuration_id"
	keyCycle         = "xtsync.cycle_id"
	keyShard         = "xtsync.shard"
	keyPage          = "xtsync.page"
	keyObjects       = "xtsync.objects"
	keyAction        = "action"
	keyCode          = "code"
)

type metrics struct {
	objects  metric.Int64Counter
	held     metric.Int64Counter
	duration metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	meter := mp.Meter(instrumentationName)
	var m metrics
	var err error
	if m.objects, err = meter.Int64Counter("xtsync.transformer.objects",
		metric.WithDescription("Source objects decided, by action and code."), metric.WithUnit("{object}")); err != nil {
		return nil, fmt.Errorf("transformer metrics: %w", err)
	}
	if m.held, err = meter.Int64Counter("xtsync.transformer.deprovisions.held",
		metric.WithDescription("Deprovisioning intents held by accidental-deletion prevention."), metric.WithUnit("{intent}")); err != nil {
		return nil, fmt.Errorf("transformer metrics: %w", err)
	}
	if m.duration, err = meter.Float64Histogram("xtsync.transformer.batch.duration",
		metric.WithDescription("Time to decide one change batch (Redis reads and decisions)."), metric.WithUnit("s")); err != nil {
		return nil, fmt.Errorf("transformer metrics: %w", err)
	}
	return &m, nil
}

// countKey is one (action, code) pair of a batch.
type countKey struct{ action, code string }

func (m *metrics) record(ctx context.Context, cfg string, counts map[countKey]int64) {
	for k, n := range counts {
		m.objects.Add(ctx, n, metric.WithAttributes(attribute.String(keyConfiguration, cfg),
			attribute.String(keyAction, k.action), attribute.String(keyCode, k.code)))
	}
}
