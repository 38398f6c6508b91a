package natsx

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Handler processes one message. nil acknowledges it; Retryable(err, d)
// redelivers it after d; Permanent(err) terminates it; any other error is
// retried with ConsumeOptions.RetryDelay. Handlers must be idempotent: a
// crash after the work and before the ack redelivers the message.
type Handler func(ctx context.Context, m *Msg) error

// DeadLetter describes a message the runner gave up on.
type DeadLetter struct {
	Stream, Consumer, Subject string
	StreamSeq, NumDelivered   uint64
	MsgID                     string
	Header                    nats.Header
	Data                      []byte
	// Reason is DeadLetterPermanent or DeadLetterMaxDeliver.
	Reason string
	Err    error
}

// Dead-letter reasons.
const (
	DeadLetterPermanent  = "permanent"
	DeadLetterMaxDeliver = "max_deliver"
)

// ConsumeOptions tunes Consume; the zero value is usable.
type ConsumeOptions struct {
	// Batch is how many messages one pull asks for (client-side buffer).
	// Default 64.
	Batch int
	// Concurrency is the number of handler goroutines. Messages with one
	// order key (WithOrderKey) always go to the same goroutine, in order.
	// Default 1.
	Concurrency int
	// HandlerTimeout bounds one handler call; 0 means none.
	HandlerTimeout time.Duration
	// AutoInProgress, when > 0, sends InProgress at this period while a
	// handler runs, for handlers that may outlast AckWait.
	AutoInProgress time.Duration
	// DrainTimeout bounds the wait for in-flight handlers at stop; after it
	// their contexts are cancelled and their messages nak'ed. Default 30s.
	DrainTimeout time.Duration
	// RetryDelay is the nak delay for untyped errors and Retryable(err, 0),
	// by delivery count. Default: 1s doubling up to 1m.
	RetryDelay func(numDelivered uint64) time.Duration
	// MaxDeliver overrides the consumer's MaxDeliver for dead-lettering.
	MaxDeliver int
	// DeadLetter is called once for a message terminated for good.
	DeadLetter func(ctx context.Context, d DeadLetter)
	// JetStream, when set, lets a runner of a pinned shard consumer unpin
	// itself after draining, so another replica takes the shard at once
	// instead of after PinnedTTL.
	JetStream jetstream.JetStream
	// Slots, when set, bounds the handlers running at once together with
	// every other runner sharing it (a process-wide limit over many shard
	// consumers); Concurrency then bounds this runner alone. A message
	// waits for a slot of its SlotKey after it is pulled, with its ack
	// wait extended by AutoInProgress; if the runner stops first it is
	// nak'ed unstarted, like the pulled messages it never handed out.
	Slots *Slots
	// SlotKey is a message's key for the per-key cap of Slots (e.g. its
	// target tenant); default "" for every message.
	SlotKey func(m *Msg) string
	// AckSync waits for the server to confirm each ack (DoubleAck): one
	// round trip more, fewer duplicate deliveries after a lost ack.
	AckSync bool

	Logger         *slog.Logger
	Propagator     propagation.TextMapPropagator
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

func (o *ConsumeOptions) defaults() {
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.RetryDelay == nil {
		o.RetryDelay = ExponentialDelay(time.Second, time.Minute)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Propagator == nil {
		o.Propagator = DefaultPropagator()
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
}

// ExponentialDelay doubles base per delivery, capped at max.
func ExponentialDelay(base, max time.Duration) func(uint64) time.Duration {
	return func(n uint64) time.Duration {
		d := base
		for i := uint64(1); i < n && d < max; i++ {
			d *= 2
		}
		return min(d, max)
	}
}

// Consume runs handler over consumer's messages until ctx ends, then drains:
// it stops pulling, naks what was pulled but not started (so another replica
// gets it at once), waits up to DrainTimeout for running handlers, and
// returns nil. Nothing is lost at any point: a message not acknowledged is
// redelivered after AckWait. It returns an error if the consumer goes away.
func Consume(ctx context.Context, consumer jetstream.Consumer, handler Handler, opts ConsumeOptions) error {
	opts.defaults()
	m, err := newMetrics(opts.MeterProvider)
	if err != nil {
		return err
	}
	info := consumer.CachedInfo()
	r := &runner{
		h:          handler,
		o:          opts,
		m:          m,
		tracer:     opts.TracerProvider.Tracer(instrumentationName),
		stream:     info.Stream,
		consumer:   info.Name,
		maxDeliver: info.Config.MaxDeliver,
	}
	if opts.MaxDeliver != 0 {
		r.maxDeliver = opts.MaxDeliver
	}
	pullOpts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(opts.Batch)}
	if groups := info.Config.PriorityGroups; len(groups) > 0 {
		pullOpts = append(pullOpts, jetstream.PullPriorityGroup(groups[0]))
	}
	it, err := consumer.Messages(pullOpts...)
	if err != nil {
		return fmt.Errorf("natsx: consume %s/%s: %w", r.stream, r.consumer, err)
	}

	// Handlers outlive the stop signal until the drain deadline; waits for
	// a slot do not.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	slotCtx, stopSlotWaits := context.WithCancel(ctx)
	defer stopSlotWaits()
	r.slotCtx = slotCtx
	shared := make(chan jetstream.Msg)
	keyed := make([]chan jetstream.Msg, opts.Concurrency)
	var wg sync.WaitGroup
	for i := range keyed {
		keyed[i] = make(chan jetstream.Msg)
		wg.Go(func() { r.work(workCtx, keyed[i], shared) })
	}

	fatal := r.dispatch(ctx, it, keyed, shared)
	stopSlotWaits() // handed out but not started: goes back (nak)
	if fatal != nil {
		// The connection or the consumer is gone: acks would fail, so do
		// not start queued work; JetStream redelivers it after AckWait.
		cancelWork()
	}

	// Drain: nothing new is pulled; what the client holds goes back.
	it.Drain()
	for {
		jm, err := it.Next(jetstream.NextMaxWait(time.Second))
		if err != nil {
			break
		}
		r.release(ctx, jm)
	}
	for _, q := range keyed {
		close(q)
	}
	close(shared)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(opts.DrainTimeout):
		opts.Logger.Warn("natsx: drain timeout, cancelling handlers", "stream", r.stream, "consumer", r.consumer)
		cancelWork()
		<-done
	}
	r.unpin(consumer)
	return fatal
}

// dispatch pulls messages and hands them to workers until ctx ends or the
// iterator fails.
func (r *runner) dispatch(ctx context.Context, it jetstream.MessagesContext, keyed []chan jetstream.Msg, shared chan jetstream.Msg) error {
	for {
		jm, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("natsx: consume %s/%s: %w", r.stream, r.consumer, err)
		}
		if pin := jm.Headers().Get(headerPinID); pin != "" {
			r.pinID.Store(&pin)
		}
		q := shared
		if key := jm.Headers().Get(HeaderOrderKey); key != "" && len(keyed) > 1 {
			h := fnv.New32a()
			_, _ = h.Write([]byte(key))
			q = keyed[h.Sum32()%uint32(len(keyed))]
		} else if len(keyed) == 1 {
			q = keyed[0]
		}
		select {
		case q <- jm:
		case <-ctx.Done():
			r.release(ctx, jm)
			return nil
		}
	}
}

// runner holds what every handler call needs.
type runner struct {
	h                Handler
	o                ConsumeOptions
	m                *metrics
	tracer           trace.Tracer
	stream, consumer string
	maxDeliver       int
	slotCtx          context.Context        // ends when waits for a slot must stop
	pinID            atomic.Pointer[string] // our pin id on a pinned consumer
}

// work runs messages from its own queue and the shared one until both close.
func (r *runner) work(ctx context.Context, own, shared <-chan jetstream.Msg) {
	for own != nil || shared != nil {
		select {
		case jm, ok := <-own:
			if !ok {
				own = nil
				continue
			}
			r.handle(ctx, jm)
		case jm, ok := <-shared:
			if !ok {
				shared = nil
				continue
			}
			r.handle(ctx, jm)
		}
	}
}

// release naks a message without running it, for immediate redelivery.
func (r *runner) release(ctx context.Context, jm jetstream.Msg) {
	if err := jm.Nak(); err != nil {
		r.o.Logger.Warn("natsx: nak on drain", "stream", r.stream, "consumer", r.consumer, "err", err)
		return
	}
	r.m.naked.Add(context.WithoutCancel(ctx), 1, r.attrs())
}

func (r *runner) attrs(extra ...string) metric.MeasurementOption {
	return metricAttrs(r.stream, r.consumer, extra...)
}

// errHandlerPanic wraps a recovered handler panic.
var errHandlerPanic = errors.New("natsx: handler panic")
