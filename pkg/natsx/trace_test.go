package natsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// TestTraceContextCrossesJetStream: the span active at Publish is the parent
// of the span the handler runs in, and baggage rides along.
func TestTraceContextCrossesJetStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, oneShard)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	member, err := baggage.NewMember("xtsync.cycle", "c42")
	require.NoError(t, err)
	bag, err := baggage.New(member)
	require.NoError(t, err)
	ctx, parent := tp.Tracer("test").Start(baggage.ContextWithBaggage(ctxT(t), bag), "cycle")
	p := e.publisher(natsx.PublisherOptions{})
	subj, err := natsx.ChangeSubject("cfg1", "user-1", 1)
	require.NoError(t, err)
	require.NoError(t, p.Publish(ctx, subj, &eventsv1.SourceChange{}, "m1"))
	require.NoError(t, p.WaitAll(ctx))
	parent.End()

	type seen struct {
		sc  trace.SpanContext
		bag string
	}
	got := make(chan seen, 1)
	runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(0)), func(ctx context.Context, m *natsx.Msg) error {
		got <- seen{trace.SpanContextFromContext(ctx), baggage.FromContext(ctx).Member("xtsync.cycle").Value()}
		return nil
	}, natsx.ConsumeOptions{TracerProvider: tp})

	var s seen
	select {
	case s = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("handler not called")
	}
	require.Equal(t, "c42", s.bag)
	require.Equal(t, parent.SpanContext().TraceID(), s.sc.TraceID())
	require.NotEqual(t, parent.SpanContext().SpanID(), s.sc.SpanID())

	require.Eventually(t, func() bool { return len(rec.Ended()) == 2 }, 5*time.Second, 10*time.Millisecond)
	var consumer sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.SpanContext().SpanID() == s.sc.SpanID() {
			consumer = sp
		}
	}
	require.NotNil(t, consumer, "the handler's span is recorded")
	require.Equal(t, trace.SpanKindConsumer, consumer.SpanKind())
	require.Equal(t, parent.SpanContext().SpanID(), consumer.Parent().SpanID(), "the publisher's span is the parent")
	require.True(t, consumer.Parent().IsRemote())
}

func TestHeaderCarrier(t *testing.T) {
	t.Parallel()
	h := nats.Header{}
	c := natsx.HeaderCarrier(h)
	require.Empty(t, c.Get("traceparent"))
	c.Set("traceparent", "00-a-b-01")
	c.Set("traceparent", "00-c-d-01")
	require.Equal(t, "00-c-d-01", c.Get("traceparent"))
	require.Equal(t, []string{"traceparent"}, c.Keys())
	require.Equal(t, []string{"00-c-d-01"}, h["traceparent"], "writes go to the nats.Header itself")
}
