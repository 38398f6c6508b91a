package reader

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// stopBroadcast is every configuration's stop subject. Each reader replica
// also listens to it on core NATS (a JetStream publish reaches plain
// subscribers too), because the durable reader-cycles consumer hands a stop
// to one replica only, not necessarily the one running the cycle.
const stopBroadcast = "xtsync.cycles.*." + natsx.CycleVerbStop

// Run consumes cycle commands until ctx is done, then stops the running
// cycles (their progress is committed page by page; their unacknowledged
// starts go back to JetStream and resume elsewhere) and drains.
func (r *Reader) Run(ctx context.Context) error {
	cons, err := r.deps.JetStream.Consumer(ctx, natsx.StreamCycles, natsx.ConsumerReaderCycles)
	if err != nil {
		return fmt.Errorf("reader: cycles consumer: %w", err)
	}
	sub, err := r.deps.JetStream.Conn().Subscribe(stopBroadcast, func(m *nats.Msg) {
		var stop eventsv1.CycleStop
		if err := proto.Unmarshal(m.Data, &stop); err != nil {
			r.log.Warn("undecodable cycle stop broadcast", "subject", m.Subject, "err", err)
			return
		}
		r.Stop(stop.GetConfigurationId(), stop.GetCycleId(), stop.GetReason())
	})
	if err != nil {
		return fmt.Errorf("reader: subscribe %s: %w", stopBroadcast, err)
	}
	defer func() { _ = sub.Unsubscribe() }()

	h := &handler{r: r, life: ctx}
	err = natsx.Consume(ctx, cons, h.handle, natsx.ConsumeOptions{
		Batch: 1,
		// Starts block their worker for a whole cycle; the spare half keeps
		// stops and refused starts flowing.
		Concurrency:    2 * r.cfg.MaxCycles,
		AutoInProgress: r.cfg.InProgress,
		DrainTimeout:   r.cfg.DrainTimeout,
		Logger:         r.log,
		TracerProvider: r.deps.TracerProvider,
		MeterProvider:  r.deps.MeterProvider,
	})
	if err != nil {
		return fmt.Errorf("reader: consume cycles: %w", err)
	}
	return nil
}

// handler settles cycle commands. life is Run's context: a cycle stops
// when the service does, not only when the drain deadline passes.
type handler struct {
	r    *Reader
	life context.Context
}

func (h *handler) handle(ctx context.Context, m *natsx.Msg) error {
	verb := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
	switch verb {
	case natsx.CycleVerbStop:
		var stop eventsv1.CycleStop
		if err := m.Unmarshal(&stop); err != nil {
			return err
		}
		h.r.Stop(stop.GetConfigurationId(), stop.GetCycleId(), stop.GetReason())
		return nil
	case natsx.CycleVerbStart:
		var start eventsv1.CycleStart
		if err := m.Unmarshal(&start); err != nil {
			return err
		}
		return h.start(ctx, &start)
	}
	return natsx.Permanent(fmt.Errorf("reader: unexpected cycle command %q", m.Subject()))
}

func (h *handler) start(ctx context.Context, start *eventsv1.CycleStart) error {
	r := h.r
	if r.wasStopped(start.GetConfigurationId(), start.GetCycleId()) {
		r.log.Info("cycle stopped before it started; skipped",
			keyConfigurationID, start.GetConfigurationId(), keyCycleID, start.GetCycleId())
		return nil
	}
	if r.runningCount() >= r.cfg.MaxCycles {
		return natsx.Retryable(ErrCycleBusy, r.cfg.InProgress)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.life, cancel)()
	err := r.RunCycle(ctx, start)
	switch {
	case err == nil, errors.Is(err, ErrCycleStopped), errors.Is(err, ErrLostRace):
		return nil // done, abandoned on purpose, or owned by another reader
	case errors.Is(err, ErrCycleBusy):
		return natsx.Retryable(err, r.cfg.InProgress)
	case errors.Is(err, ErrUnknownConfiguration):
		return natsx.Permanent(err)
	}
	return err // redelivered: the next run resumes from the committed links
}
