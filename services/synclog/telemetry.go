package synclog

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
)

const instrumentationName = "github.com/xtsync/xtsync/services/synclog"

// Log, span and metric attribute keys: one spelling everywhere.
const (
	keyConfigurationID = "configuration_id"
	keyCycleID         = "cycle_id"
	keyAction          = "action"
	keyStatus          = "status"
	keyReason          = "reason"
	keyEvent           = "event"
	keyOutcomes        = "outcomes"
	keyNew             = "new"
)

// Quarantine event values of xtsync.synclog.quarantine.events.
const (
	eventEnter   = "enter"
	eventRelease = "release"
)

type metrics struct {
	objects    metric.Int64Counter
	escrowed   metric.Int64Gauge
	quarantine metric.Int64Counter
	cycle      metric.Float64Histogram
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	m := mp.Meter(instrumentationName)
	var out metrics
	var e1, e2, e3, e4 error
	out.objects, e1 = m.Int64Counter("xtsync.synclog.objects",
		metric.WithDescription("Objects logged, by action and status (each entry once)."))
	out.escrowed, e2 = m.Int64Gauge("xtsync.synclog.escrowed_objects",
		metric.WithDescription("Objects in escrow, by configuration, measured when a cycle completes."))
	out.quarantine, e3 = m.Int64Counter("xtsync.synclog.quarantine.events",
		metric.WithDescription("Quarantines entered and released, by reason."))
	out.cycle, e4 = m.Float64Histogram("xtsync.synclog.cycle.duration", metric.WithUnit("s"),
		metric.WithDescription("Cycles completed (not quarantined), from start to the last outcome logged, by verdict."))
	return &out, errors.Join(e1, e2, e3, e4)
}
