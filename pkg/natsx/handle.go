package natsx

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// handle runs the handler on one delivery and settles it: ack, nak with a
// delay, or term plus the dead-letter hook.
func (r *runner) handle(ctx context.Context, jm jetstream.Msg) {
	if ctx.Err() != nil { // drain deadline passed before the handler started
		r.release(ctx, jm)
		return
	}
	meta, err := jm.Metadata()
	if err != nil {
		// Not a JetStream delivery: nothing to ack, nothing to redeliver.
		r.o.Logger.Error("natsx: message without metadata", "subject", jm.Subject(), "err", err)
		return
	}
	if meta.NumDelivered > 1 {
		r.m.redelivered.Add(ctx, 1, r.attrs())
	}
	msg := &Msg{raw: jm, meta: meta}
	if r.o.AutoInProgress > 0 { // also while waiting for a slot
		stop := r.heartbeat(msg)
		defer stop()
	}
	if r.o.Slots != nil {
		release, ok := r.acquireSlot(msg)
		if !ok {
			r.release(ctx, jm)
			return
		}
		defer release()
	}

	hctx := ExtractTrace(ctx, r.o.Propagator, jm.Headers())
	hctx, span := r.tracer.Start(hctx, "process "+r.stream,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", jm.Subject()),
			attribute.String("messaging.consumer.group.name", r.consumer),
			attribute.String("messaging.message.id", msg.MsgID()),
			attribute.Int64("messaging.nats.stream_sequence", int64(meta.Sequence.Stream)),
			attribute.Int64("messaging.nats.delivered", int64(meta.NumDelivered)),
		))
	defer span.End()
	if r.o.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(hctx, r.o.HandlerTimeout)
		defer cancel()
	}
	start := time.Now()
	herr := r.call(hctx, msg)
	result := r.settle(ctx, hctx, msg, herr)
	r.m.handlerDuration.Record(ctx, time.Since(start).Seconds(), r.attrs(result))
	if herr != nil {
		span.RecordError(herr)
		span.SetStatus(codes.Error, result)
	}
}

// acquireSlot waits for a slot of msg's key; false when the runner stops
// first (the message was not started and goes back).
func (r *runner) acquireSlot(msg *Msg) (release func(), ok bool) {
	key := ""
	if r.o.SlotKey != nil {
		key = r.o.SlotKey(msg)
	}
	release, err := r.o.Slots.Acquire(r.slotCtx, key)
	return release, err == nil
}

// call runs the handler, turning a panic into an error so one bad message
// cannot take the process (and every in-flight message) down.
func (r *runner) call(ctx context.Context, msg *Msg) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errHandlerPanic, p)
		}
	}()
	return r.h(ctx, msg)
}

// settle acknowledges msg according to herr and returns the result label.
func (r *runner) settle(ctx, hctx context.Context, msg *Msg, herr error) string {
	jm := msg.raw
	switch {
	case herr == nil:
		var err error
		if r.o.AckSync {
			err = jm.DoubleAck(context.WithoutCancel(hctx))
		} else {
			err = jm.Ack()
		}
		if err != nil {
			// The work is done; the message will come back and the
			// idempotent handler will see it again.
			r.o.Logger.Warn("natsx: ack failed", "stream", r.stream, "consumer", r.consumer, "seq", msg.StreamSeq(), "err", err)
			return resultError
		}
		r.m.acked.Add(ctx, 1, r.attrs())
		return resultOK
	case ctx.Err() != nil:
		// Cancelled by the drain deadline: give it back at once, whatever
		// the delivery count; it is not the message's fault.
		r.release(ctx, jm)
		return resultRetry
	case IsPermanent(herr):
		r.terminate(hctx, msg, DeadLetterPermanent, herr)
		return resultPermanent
	case r.maxDeliver > 0 && msg.NumDelivered() >= uint64(r.maxDeliver):
		r.terminate(hctx, msg, DeadLetterMaxDeliver, herr)
		return resultPermanent
	}
	delay, ok := retryDelay(herr)
	if !ok || delay <= 0 {
		delay = r.o.RetryDelay(msg.NumDelivered())
	}
	if err := jm.NakWithDelay(delay); err != nil {
		r.o.Logger.Warn("natsx: nak failed", "stream", r.stream, "consumer", r.consumer, "seq", msg.StreamSeq(), "err", err)
		return resultRetry
	}
	r.m.naked.Add(ctx, 1, r.attrs())
	// A first failure is routine (a restarting dependency); a message that
	// keeps failing stalls its cycle and must be visible without debug logs.
	level := slog.LevelDebug
	if msg.NumDelivered() >= 3 {
		level = slog.LevelWarn
	}
	r.o.Logger.Log(ctx, level, "natsx: handler failed, redelivering", "stream", r.stream, "consumer", r.consumer,
		"seq", msg.StreamSeq(), "delivered", msg.NumDelivered(), "delay", delay, "err", herr)
	return resultRetry
}

// terminate reports msg to the dead-letter hook, then terms it, in that
// order: if the process dies between the two, the message is redelivered
// and reported again rather than lost.
func (r *runner) terminate(hctx context.Context, msg *Msg, reason string, herr error) {
	ctx := context.WithoutCancel(hctx)
	r.o.Logger.Warn("natsx: message dead-lettered", "stream", r.stream, "consumer", r.consumer,
		"seq", msg.StreamSeq(), "delivered", msg.NumDelivered(), "reason", reason, "err", herr)
	if r.o.DeadLetter != nil {
		r.o.DeadLetter(ctx, DeadLetter{
			Stream: r.stream, Consumer: r.consumer, Subject: msg.Subject(),
			StreamSeq: msg.StreamSeq(), NumDelivered: msg.NumDelivered(),
			MsgID: msg.MsgID(), Header: msg.Header(), Data: msg.Data(),
			Reason: reason, Err: herr,
		})
	}
	r.m.deadLettered.Add(ctx, 1, r.attrs(reason))
	if err := msg.raw.TermWithReason(reason + ": " + trimReason(herr)); err != nil {
		r.o.Logger.Warn("natsx: term failed", "stream", r.stream, "consumer", r.consumer, "seq", msg.StreamSeq(), "err", err)
		return
	}
	r.m.termed.Add(ctx, 1, r.attrs())
}

// heartbeat sends InProgress every AutoInProgress until stopped.
func (r *runner) heartbeat(msg *Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.o.AutoInProgress)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					r.o.Logger.Debug("natsx: in progress", "seq", msg.StreamSeq(), "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// trimReason keeps the term reason (sent to the server, shown in advisories)
// short.
func trimReason(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func metricAttrs(stream, consumer string, result ...string) metric.MeasurementOption {
	kv := []attribute.KeyValue{attribute.String(attrStream, stream), attribute.String(attrConsumer, consumer)}
	if len(result) > 0 {
		kv = append(kv, attribute.String(attrResult, result[0]))
	}
	return metric.WithAttributes(kv...)
}
