package reader

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const instrumentationName = "github.com/xtsync/xtsync/services/reader"

// Log and span attribute keys: one spelling for logs, traces and metrics.
const (
	keyConfigurationID = "configuration_id"
	keyCycleID         = "cycle_id"
	// Span attributes of the ids: the xtsync.* names every stage's spans
	// share (docs/observability.md).
	spanConfigurationID = "xtsync.configuration_id"
	spanCycleID         = "xtsync.cycle_id"
	keyMode             = "mode"
	keyObjectType       = "object_type"
	keyPage             = "page"
	keyObjects          = "objects"
	keyRemoved          = "removed"
	keyChanges          = "changes"
	keyResult           = "result"
	keyKind             = "kind"
)

// Cycle results, the keyResult values of xtsync.reader.cycles.
const (
	resultOK       = "ok"
	resultStopped  = "stopped"
	resultLostRace = "lost_race"
	resultError    = "error"
)

type metrics struct {
	cycles          metric.Int64Counter
	pages           metric.Int64Counter
	objects         metric.Int64Counter
	publishFailures metric.Int64Counter
	deltaExpired    metric.Int64Counter
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := mp.Meter(instrumentationName)
	var (
		out  metrics
		errs [5]error
	)
	out.cycles, errs[0] = m.Int64Counter("xtsync.reader.cycles",
		metric.WithDescription("Cycles finished, by mode and result."))
	out.pages, errs[1] = m.Int64Counter("xtsync.reader.pages",
		metric.WithDescription("Graph delta pages read and durably queued, by object type."))
	out.objects, errs[2] = m.Int64Counter("xtsync.reader.objects",
		metric.WithDescription("Source objects read, by object type and change kind."))
	out.publishFailures, errs[3] = m.Int64Counter("xtsync.reader.publish.failures",
		metric.WithDescription("SourceChangeBatch publishes JetStream did not store."))
	out.deltaExpired, errs[4] = m.Int64Counter("xtsync.reader.delta_expired",
		metric.WithDescription("Delta links Graph no longer accepted (fallback to a full import)."))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func typeAttr(t string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String(keyObjectType, t))
}

func metricAttrs(typ string, kind interface{ String() string }) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String(keyObjectType, typ), attribute.String(keyKind, kind.String()))
}
