package scheduler

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

const (
	natsStreamCycles      = natsx.StreamCycles
	natsConsumerScheduler = natsx.ConsumerSchedulerCycles
)

// Stable reason codes of CycleStop and of the job.
const (
	ReasonJobPaused                 = "JobPaused"
	ReasonJobRestarted              = "JobRestarted"
	ReasonConfigurationDeleted      = "ConfigurationDeleted"
	ReasonDeletionThresholdExceeded = "DeletionThresholdExceeded"
)

// Cycle modes as the job hash and CycleSummary spell them.
const (
	modeDelta    = "delta"
	modeFull     = "full"
	modeOnDemand = "on_demand"
)

func modeEvent(mode string) eventsv1.CycleMode {
	switch mode {
	case modeFull:
		return eventsv1.CycleMode_CYCLE_MODE_FULL
	case modeOnDemand:
		return eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND
	}
	return eventsv1.CycleMode_CYCLE_MODE_DELTA
}

// startCycle publishes CycleStart (message id "<cycle>/start": a retried
// publish is stored once). Each cycle is a trace of its own, rooted here:
// the reader, transformer, writer and log spans continue it from the
// messages' traceparent headers. An API call that asked for the cycle is
// linked, not a parent, so a cycle's trace is the same shape however it
// began.
func (s *Scheduler) startCycle(ctx context.Context, cfgID, cycleID, mode string, objects []*commonv1.ObjectRef) (err error) {
	ctx, span := s.tracer.Start(ctx, "scheduler.cycle", trace.WithNewRoot(),
		trace.WithLinks(trace.LinkFromContext(ctx)), trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("xtsync.configuration_id", cfgID), attribute.String("xtsync.cycle_id", cycleID),
			attribute.String("xtsync.mode", mode), attribute.Int("xtsync.objects", len(objects))))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "cycle start not published")
		}
		span.End()
	}()
	// The tenants make a cycle findable by tenant in the trace store; a
	// failed read only leaves them out.
	if c, gerr := s.store.Get(ctx, cfgID); gerr == nil {
		span.SetAttributes(attribute.String("xtsync.source_tenant_id", c.GetSource().GetTenantId()),
			attribute.String("xtsync.target_tenant_id", c.GetTarget().GetTenantId()))
	}
	subj, err := natsx.CycleSubject(cfgID, natsx.CycleVerbStart)
	if err != nil {
		return err
	}
	msg := &eventsv1.CycleStart{
		ConfigurationId: cfgID, CycleId: cycleID, Mode: modeEvent(mode),
		Objects: objects, RequestedAt: timestamppb.New(s.now()),
	}
	p, err := natsx.NewPublisher(s.deps.JetStream, natsx.PublisherOptions{MeterProvider: s.deps.MeterProvider})
	if err != nil {
		return err
	}
	if err := p.Publish(ctx, subj, msg, cycleID+"/start"); err != nil {
		return fmt.Errorf("publish cycle start %s: %w", cycleID, err)
	}
	if err := p.WaitAll(ctx); err != nil {
		return fmt.Errorf("publish cycle start %s: %w", cycleID, err)
	}
	s.log.InfoContext(ctx, "cycle started", keyConfiguration, cfgID, keyCycle, cycleID, "mode", mode)
	return nil
}

// stopCycle publishes CycleStop for cycleID (message id "<cycle>/stop").
func (s *Scheduler) stopCycle(ctx context.Context, cfgID, cycleID, reason string) error {
	if cycleID == "" {
		return nil
	}
	subj, err := natsx.CycleSubject(cfgID, natsx.CycleVerbStop)
	if err != nil {
		return err
	}
	msg := &eventsv1.CycleStop{ConfigurationId: cfgID, CycleId: cycleID, Reason: reason, RequestedAt: timestamppb.New(s.now())}
	p, err := natsx.NewPublisher(s.deps.JetStream, natsx.PublisherOptions{MeterProvider: s.deps.MeterProvider})
	if err != nil {
		return err
	}
	if err := p.Publish(ctx, subj, msg, cycleID+"/stop"); err != nil {
		return fmt.Errorf("publish cycle stop %s: %w", cycleID, err)
	}
	if err := p.WaitAll(ctx); err != nil {
		return fmt.Errorf("publish cycle stop %s: %w", cycleID, err)
	}
	s.log.InfoContext(ctx, "cycle stopped", keyConfiguration, cfgID, keyCycle, cycleID, "reason", reason)
	return nil
}

// consumeEnds clears a job's running cycle when its CycleEnd arrives. Every
// replica runs it (the durable consumer hands each end to one of them);
// ending a cycle twice, or one already replaced, changes nothing.
func (s *Scheduler) consumeEnds(ctx context.Context, cons jetstream.Consumer) error {
	err := natsx.Consume(ctx, cons, func(ctx context.Context, m *natsx.Msg) error {
		var end eventsv1.CycleEnd
		if err := m.Unmarshal(&end); err != nil {
			return err
		}
		cfgID, cycleID := end.GetConfigurationId(), end.GetCycleId()
		if !validID(cfgID) || cycleID == "" {
			return natsx.Permanent(fmt.Errorf("scheduler: cycle end with bad ids %q/%q", cfgID, cycleID))
		}
		_, err := s.jobs.apply(ctx, cfgID, s.now(), transition{endCycle: cycleID})
		switch {
		case errors.Is(err, ErrState), errors.Is(err, ErrNotFound):
			return nil // not the running cycle (on demand, replaced) or deleted
		case err != nil:
			return err
		}
		s.log.InfoContext(ctx, "cycle ended", keyConfiguration, cfgID, keyCycle, cycleID, "changes", end.GetChangesPublished())
		return nil
	}, natsx.ConsumeOptions{Logger: s.log, MeterProvider: s.deps.MeterProvider})
	if err != nil {
		return fmt.Errorf("scheduler: consume cycle ends: %w", err)
	}
	return nil
}
