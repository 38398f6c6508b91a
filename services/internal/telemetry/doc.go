// Package telemetry builds the OpenTelemetry providers of one xtsync
// process: a TracerProvider (parent-based ratio sampling; an OTLP gRPC
// exporter only when an endpoint is configured), a MeterProvider read by
// a Prometheus registry served at /metrics, and the W3C propagator.
//
// Off by default: without -tracing.otlp-endpoint no exporter runs, spans
// are still created (so trace context crosses gRPC and JetStream and logs
// can carry trace ids) and dropped when they end. Shutdown flushes what
// the exporter still holds.
//
// Every xtsync instrument is named xtsync.<area>.<name>; the Prometheus
// exporter turns dots into underscores and adds the unit and _total
// suffixes (xtsync.writer.intents -> xtsync_writer_intents_total). The
// catalogue is in docs/observability.md.
package telemetry
