// Package writer applies the transformer's IntentBatches to target tenants
// through Graph $batch requests, under one write budget per target tenant
// shared by every writer replica (redisx.RateLimiter), and publishes an
// OutcomeBatch per IntentBatch. See README.md for the decisions (idempotent
// create, invitations, codes).
package writer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// TargetResolver returns the Graph client of a configuration's target
// tenant. The configuration store implements it later; StaticTargets serves
// tests and single-tenant demos.
type TargetResolver interface {
	Target(ctx context.Context, configurationID string) (graph.Target, error)
}

// StaticTargets resolves every configuration to one Target, or by id.
type StaticTargets struct {
	Default graph.Target
	ByID    map[string]graph.Target
}

// Target implements TargetResolver.
func (s StaticTargets) Target(_ context.Context, cfg string) (graph.Target, error) {
	if t, ok := s.ByID[cfg]; ok {
		return t, nil
	}
	if s.Default == nil {
		return nil, fmt.Errorf("no target for configuration %q", cfg)
	}
	return s.Default, nil
}

// Deps are the writer's collaborators. Targets, Limiter and Connectors are
// required; Escrows may be nil (then the log service alone records them);
// JetStream and Publisher are needed by Run only.
type Deps struct {
	Targets    TargetResolver
	Limiter    redisx.RateLimiter
	Connectors redisx.ConnectorStore
	Escrows    redisx.EscrowStore
	// Members reads the desired members of groups too large for a
	// message (desired_member_set); nil fails such intents.
	Members   *redisx.MemberSets
	JetStream jetstream.JetStream
	Publisher *natsx.Publisher
	Logger    *slog.Logger

	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Writer applies intent batches. Safe for concurrent use.
type Writer struct {
	cfg    Config
	d      Deps
	log    *slog.Logger
	tracer trace.Tracer
	m      *metrics
	// refusals are the match lookups Graph refuses, per tenant.
	refusals refusals
}

// New checks cfg and deps and builds a Writer.
func New(cfg Config, d Deps) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case d.Targets == nil:
		return nil, errors.New("writer: Targets is required")
	case d.Limiter == nil:
		return nil, errors.New("writer: Limiter is required")
	case d.Connectors == nil:
		return nil, errors.New("writer: Connectors is required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.TracerProvider == nil {
		d.TracerProvider = otel.GetTracerProvider()
	}
	if d.MeterProvider == nil {
		d.MeterProvider = otel.GetMeterProvider()
	}
	m, err := newMetrics(d.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg, d: d, log: d.Logger, tracer: d.TracerProvider.Tracer(instrumentationName), m: m}, nil
}

const instrumentationName = "github.com/xtsync/xtsync/services/writer"

// Run consumes the configured shard consumers until ctx ends, then drains:
// in-flight batches finish (up to Drain.Timeout), pulled but unstarted ones
// are nak'ed for another replica. An input is acknowledged only after its
// connector entries are stored and its OutcomeBatch is acknowledged by
// JetStream, so a stop at any point loses nothing; redelivery is harmless
// because Apply is idempotent.
//
// Concurrency is the process's: every shard consumer may run up to
// Concurrency batches, but all of them draw on one natsx.Slots of that
// size, first come first served, at most TenantSlots() per target tenant.
// A pulled batch waiting for a slot keeps its ack wait (InProgress); each
// consumer pulls only runPull messages ahead, so few wait unextended.
func (w *Writer) Run(ctx context.Context) error {
	if w.d.JetStream == nil || w.d.Publisher == nil {
		return errors.New("writer: Run needs JetStream and Publisher")
	}
	slots := natsx.NewSlots(w.cfg.Concurrency, w.cfg.TenantSlots())
	var wg sync.WaitGroup
	errs := make([]error, len(w.cfg.Shards))
	for i, shard := range w.cfg.Shards {
		c, err := w.d.JetStream.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(shard))
		if err != nil {
			return fmt.Errorf("writer: open consumer of shard %d: %w", shard, err)
		}
		wg.Go(func() {
			errs[i] = natsx.Consume(ctx, c, w.handle, natsx.ConsumeOptions{
				Batch:          runPull,
				Concurrency:    w.cfg.Concurrency, // one busy shard may use every slot
				Slots:          slots,
				SlotKey:        targetTenantOf,
				DrainTimeout:   w.cfg.Drain.Timeout,
				AutoInProgress: w.cfg.Drain.InProgress, // long throttled batches keep their ack wait
				Logger:         w.log,
				TracerProvider: w.d.TracerProvider,
				MeterProvider:  w.d.MeterProvider,
			})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runPull is how many messages a shard consumer pulls ahead of its
// handlers: buffered messages get no InProgress, and a batch is seconds of
// work, so a deep buffer only risks ack-wait expiries.
const runPull = 2

// targetTenantOf is the slot key of an intent message: its target tenant
// (xtsync.intents.<tenant>.<configuration>.<shard>).
func targetTenantOf(m *natsx.Msg) string {
	tokens := strings.SplitN(m.Subject(), ".", 4)
	if len(tokens) < 4 {
		return ""
	}
	return tokens[2]
}

// handle applies one IntentBatch message: Apply (which stores connector
// entries), publish the outcomes under the input's message id, wait for
// the publish ack, then return nil so the runner acks the input.
func (w *Writer) handle(ctx context.Context, m *natsx.Msg) error {
	var batch eventsv1.IntentBatch
	if err := proto.Unmarshal(m.Data(), &batch); err != nil {
		return natsx.Permanent(fmt.Errorf("decode intent batch: %w", err))
	}
	out, err := w.apply(ctx, &batch, m.StreamSeq())
	if err != nil {
		return fmt.Errorf("apply intent batch %s: %w", m.MsgID(), err)
	}
	subject, err := natsx.OutcomeSubject(batch.GetConfigurationId())
	if err != nil {
		return natsx.Permanent(fmt.Errorf("outcome subject: %w", err))
	}
	id := m.MsgID()
	if id == "" {
		id = fmt.Sprintf("intents/%d", m.StreamSeq())
	}
	if err := w.d.Publisher.Publish(ctx, subject, out, id); err != nil {
		return fmt.Errorf("publish outcomes: %w", err)
	}
	if err := w.d.Publisher.WaitAll(ctx); err != nil {
		return fmt.Errorf("publish outcomes: %w", err)
	}
	return nil
}
