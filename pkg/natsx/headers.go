package natsx

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
)

// Header names xtsync sets on JetStream messages besides the trace context.
const (
	// HeaderMsgID is JetStream's de-duplication header.
	HeaderMsgID = nats.MsgIdHdr
	// HeaderOrderKey carries the object id: the consumer runner hands
	// messages with one key to one worker, in order.
	HeaderOrderKey = "Xtsync-Order-Key"
	// HeaderType names the protobuf message type of the payload.
	HeaderType = "Xtsync-Type"
)

// HeaderCarrier adapts nats.Header to propagation.TextMapCarrier so the W3C
// traceparent/tracestate and baggage headers ride on JetStream messages.
// Keys are used as given (NATS headers are case-sensitive); propagators use
// lowercase keys on both sides, so they match.
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier{}

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (c HeaderCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the header names.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// DefaultPropagator is W3C trace context plus baggage. It is used instead of
// the global propagator so trace context crosses JetStream even when a
// process forgot otel.SetTextMapPropagator.
func DefaultPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// InjectTrace writes the trace context of ctx into h.
func InjectTrace(ctx context.Context, p propagation.TextMapPropagator, h nats.Header) {
	p.Inject(ctx, HeaderCarrier(h))
}

// ExtractTrace returns ctx carrying the remote trace context found in h.
func ExtractTrace(ctx context.Context, p propagation.TextMapPropagator, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return p.Extract(ctx, HeaderCarrier(h))
}
