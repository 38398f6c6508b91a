package natsx

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
)

// DefaultPublishWindow bounds unacknowledged async publishes per Publisher.
// It stays under nats.go's own async limit (4000) so that limit never stalls.
const DefaultPublishWindow = 512

// PublisherOptions tunes a Publisher; the zero value is usable.
type PublisherOptions struct {
	// Window is the most publishes awaiting a JetStream ack at once; Publish
	// blocks (on the oldest ack) beyond it. Default DefaultPublishWindow.
	Window int
	// Propagator injects trace context; default DefaultPropagator().
	Propagator propagation.TextMapPropagator
	// MeterProvider for xtsync.natsx.published; default the global one.
	MeterProvider metric.MeterProvider
}

// Publisher publishes protobuf messages to JetStream asynchronously and
// tracks every ack, so a producer can move its watermark only after WaitAll
// says everything it published is stored. Safe for concurrent use.
type Publisher struct {
	js     jetstream.JetStream
	window int
	prop   propagation.TextMapPropagator
	m      *metrics

	mu       sync.Mutex
	pending  []pendingPub // FIFO: the oldest publish first
	failures []PublishFailure
}

type pendingPub struct {
	fut     jetstream.PubAckFuture
	subject string
	msgID   string
}

// NewPublisher returns a Publisher over js (see NewJetStream for the ack
// timeout that keeps a lost ack from waiting forever).
func NewPublisher(js jetstream.JetStream, opts PublisherOptions) (*Publisher, error) {
	if opts.Window <= 0 {
		opts.Window = DefaultPublishWindow
	}
	if opts.Propagator == nil {
		opts.Propagator = DefaultPropagator()
	}
	m, err := newMetrics(opts.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Publisher{js: js, window: opts.Window, prop: opts.Propagator, m: m}, nil
}

// PublishOption adds a header to one message.
type PublishOption func(h nats.Header)

// WithOrderKey sets the key (the object id) under which the consumer runner
// keeps messages in order while it runs handlers concurrently.
func WithOrderKey(key string) PublishOption {
	return func(h nats.Header) { h.Set(HeaderOrderKey, key) }
}

// Publish marshals msg and sends it to subject without waiting for the ack.
// msgID is JetStream's Nats-Msg-Id: a retry with the same id inside the
// duplicate window is stored once. The trace context of ctx travels in the
// headers. An error means the message was not sent; a sent message whose ack
// fails is reported by the next WaitAll.
func (p *Publisher) Publish(ctx context.Context, subject string, msg proto.Message, msgID string, opts ...PublishOption) error {
	if msgID == "" {
		return ErrNoMsgID
	}
	data, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("natsx: marshal %s: %w", msg.ProtoReflect().Descriptor().FullName(), err)
	}
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	m.Header.Set(HeaderType, string(msg.ProtoReflect().Descriptor().FullName()))
	for _, o := range opts {
		o(m.Header)
	}
	InjectTrace(ctx, p.prop, m.Header)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.reapLocked(ctx, false)
	for len(p.pending) >= p.window {
		if err := p.reapLocked(ctx, true); err != nil {
			return fmt.Errorf("natsx: publish %s: wait for window: %w", subject, err)
		}
	}
	fut, err := p.js.PublishMsgAsync(m, jetstream.WithMsgID(msgID))
	if err != nil {
		p.m.published.Add(ctx, 1, metric.WithAttributes(attribute.String(attrResult, resultError)))
		return fmt.Errorf("natsx: publish %s (msg id %s): %w", subject, msgID, err)
	}
	p.pending = append(p.pending, pendingPub{fut: fut, subject: subject, msgID: msgID})
	return nil
}

// WaitAll returns when every message published before it was called is
// acknowledged by JetStream (nil), or reports every one that was not in a
// *PublishError, then forgets them: re-publish those with the same ids. If
// ctx ends first it returns ctx's error and keeps the rest pending.
func (p *Publisher) WaitAll(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.pending) > 0 {
		if err := p.reapLocked(ctx, true); err != nil {
			return fmt.Errorf("natsx: wait for %d acks: %w", len(p.pending), err)
		}
	}
	if len(p.failures) == 0 {
		return nil
	}
	err := &PublishError{Failures: p.failures}
	p.failures = nil
	return err
}

// InFlight is the number of publishes still awaiting their ack.
func (p *Publisher) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// reapLocked pops resolved publishes from the oldest on. With block it
// first waits for the oldest one. p.mu must be held.
func (p *Publisher) reapLocked(ctx context.Context, block bool) error {
	for len(p.pending) > 0 {
		ok, err := p.resolve(ctx, p.pending[0], block)
		if err != nil || !ok {
			return err
		}
		block = false
		p.pending[0] = pendingPub{}
		p.pending = p.pending[1:]
	}
	return nil
}

// resolve records the outcome of pp if it has one (or, with block, once it
// has one).
func (p *Publisher) resolve(ctx context.Context, pp pendingPub, block bool) (bool, error) {
	var (
		ack  *jetstream.PubAck
		perr error
	)
	if block {
		select {
		case ack = <-pp.fut.Ok():
		case perr = <-pp.fut.Err():
		case <-ctx.Done():
			return false, ctx.Err()
		}
	} else {
		select {
		case ack = <-pp.fut.Ok():
		case perr = <-pp.fut.Err():
		default:
			return false, nil
		}
	}
	if perr != nil {
		p.m.published.Add(ctx, 1, metric.WithAttributes(attribute.String(attrResult, resultError)))
		p.failures = append(p.failures, PublishFailure{Subject: pp.subject, MsgID: pp.msgID, Err: perr})
		return true, nil
	}
	result := resultOK
	if ack.Duplicate {
		result = resultDuplicate
	}
	p.m.published.Add(ctx, 1, metric.WithAttributes(attribute.String(attrStream, ack.Stream), attribute.String(attrResult, result)))
	return true, nil
}
