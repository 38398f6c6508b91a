package reader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Errors RunCycle returns for outcomes the caller branches on.
var (
	// ErrCycleBusy: another cycle of the configuration runs in this process.
	ErrCycleBusy = errors.New("reader: a cycle of this configuration is already running")
	// ErrCycleStopped: a CycleStop (or Stop) abandoned the cycle.
	ErrCycleStopped = errors.New("reader: cycle stopped")
	// ErrLostRace: another reader moved the watermark (compare-and-set lost);
	// this cycle stopped without writing anything more.
	ErrLostRace = errors.New("reader: another reader owns the watermark")
)

// cycle is one run of one CycleStart.
type cycle struct {
	r     *Reader
	start *eventsv1.CycleStart
	src   graph.Source
	pp    *pagePublisher
	mode  eventsv1.CycleMode
	f     changeFactory
	log   *slog.Logger
	// carried counts the changes earlier runs of this cycle published in
	// the rounds' committed pages (Watermark.Published): CycleEnd counts
	// the cycle, not only this run.
	carried int64
	// userSel is the users $select of this configuration (userSelect).
	userSel []string
	// listMembers chooses the changed groups a delta groups round lists
	// the members of (membersFilter; nil: all).
	listMembers membersFilter
	// usersRead holds the ids a delta users round published in this run:
	// the revisit set skips them (one change per object and cycle).
	usersRead map[string]bool
}

// RunCycle reads one cycle to its end: the changes on XTSYNC_CHANGES, then
// CycleEnd, then the watermarks. It returns ErrCycleStopped, ErrLostRace or
// ErrCycleBusy (wrapped) for those outcomes. Run calls it for every
// CycleStart; tests call it directly.
func (r *Reader) RunCycle(ctx context.Context, start *eventsv1.CycleStart) (err error) {
	cfgID, cycleID := start.GetConfigurationId(), start.GetCycleId()
	if err := errors.Join(natsx.ValidToken(cfgID), natsx.ValidToken(cycleID)); err != nil {
		return fmt.Errorf("reader: invalid cycle start: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !r.register(cfgID, cycleID, cancel) {
		return fmt.Errorf("configuration %s, cycle %s: %w", cfgID, cycleID, ErrCycleBusy)
	}
	defer r.unregister(cfgID)

	mode := start.GetMode()
	if mode == eventsv1.CycleMode_CYCLE_MODE_UNSPECIFIED {
		mode = eventsv1.CycleMode_CYCLE_MODE_DELTA
	}
	ctx, span := r.tracer.Start(ctx, "reader.cycle", trace.WithAttributes(
		attribute.String(spanConfigurationID, cfgID), attribute.String(spanCycleID, cycleID),
		attribute.String(keyMode, mode.String())))
	log := r.log.With(keyConfigurationID, cfgID, keyCycleID, cycleID, keyMode, mode.String())
	began := time.Now()
	c := &cycle{r: r, start: start, log: log}
	defer func() {
		result := resultOK
		switch {
		case errors.Is(err, ErrCycleStopped):
			result = resultStopped
			log.Info("cycle stopped; watermark left where it was", "err", err)
		case errors.Is(err, ErrLostRace):
			result = resultLostRace
			log.Warn("cycle abandoned: another reader moved the watermark", "err", err)
		case err != nil:
			result = resultError
			log.Error("cycle failed", "err", err)
		default:
			log.Info("cycle read", keyChanges, c.published(), "duration", time.Since(began))
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, result)
		}
		span.SetAttributes(attribute.Int64(keyChanges, c.published()), attribute.String(keyResult, result))
		span.End()
		r.m.cycles.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(
			attribute.String(keyMode, mode.String()), attribute.String(keyResult, result)))
	}()

	err = c.run(ctx, mode)
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, ErrCycleStopped) {
		err = fmt.Errorf("%w (%w)", cause, err)
	}
	return err
}

func (c *cycle) published() int64 {
	if c.pp == nil {
		return 0
	}
	return c.pp.published
}

func (c *cycle) run(ctx context.Context, mode eventsv1.CycleMode) error {
	cfgID := c.start.GetConfigurationId()
	src, err := c.r.deps.Sources.Source(ctx, cfgID)
	if err != nil {
		return fmt.Errorf("resolve source of %s: %w", cfgID, err)
	}
	// One Publisher per cycle: WaitAll reports the failures of its own
	// publishes only, so one cycle can never vouch for another's messages.
	pub, err := natsx.NewPublisher(c.r.deps.JetStream, natsx.PublisherOptions{
		Window: c.r.cfg.PublishWindow, MeterProvider: c.r.deps.MeterProvider})
	if err != nil {
		return fmt.Errorf("new publisher: %w", err)
	}
	c.src, c.mode = src, mode
	if c.userSel, err = c.userSelect(ctx); err != nil {
		return err
	}
	c.pp = &pagePublisher{pub: pub, shards: c.r.cfg.Shards, maxBytes: c.r.cfg.MaxBatchBytes,
		cfgID: cfgID, cycleID: c.start.GetCycleId(), mode: mode, m: c.r.m, sets: c.r.deps.Members}
	c.f = changeFactory{cfgID: cfgID, cycleID: c.start.GetCycleId(), tenantID: src.TenantID(),
		observed: timestamppb.Now()}

	if mode == eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
		if err := c.onDemand(ctx); err != nil {
			return err
		}
		return c.end(ctx)
	}
	// Groups first: the transformer learns the assigned groups' member sets
	// from them, and decides users' assignment scope with those sets. With
	// Deps.Groups this is a scope pass only: the groups are written after
	// the users (provisionGroups), so their members resolve in this cycle.
	deferGroups := c.r.deps.Groups != nil
	sel := c.r.cfg.GroupSelect
	sel = append(sel[:len(sel):len(sel)], "members")
	groups, err := c.prepare(ctx, redisx.Groups, sel)
	if err != nil {
		return err
	}
	if !groups.full {
		c.listMembers = c.membersFilter(ctx)
	}
	c.pp.scopeOnly = deferGroups
	err = c.read(ctx, groups, sel, c.fetchGroups)
	c.pp.scopeOnly = false
	if err != nil {
		return err
	}
	if c.r.cfg.GroupsBarrier {
		if err := c.waitDrained(ctx, "groups"); err != nil {
			return err
		}
	}
	users, err := c.prepare(ctx, redisx.Users, c.userSel)
	if err != nil {
		return err
	}
	if !users.full {
		c.usersRead = map[string]bool{}
	}
	if err := c.read(ctx, users, c.userSel, c.fetchUsers); err != nil {
		return err
	}
	revisited, err := c.revisit(ctx, users)
	if err != nil {
		return err
	}
	if c.r.deps.References != nil {
		if err := c.references(ctx); err != nil {
			return err
		}
	}
	if deferGroups {
		if err := c.provisionGroups(ctx, revisited); err != nil {
			return err
		}
	}
	if err := c.end(ctx); err != nil {
		return err
	}
	// Only now, with every change and the CycleEnd stored, do the links move.
	for _, r := range []*round{groups, users} {
		next := redisx.Watermark{DeltaLink: r.deltaLink, Select: r.sel, CycleID: c.start.GetCycleId(), UpdatedAt: time.Now()}
		if _, err := c.commit(ctx, r, next); err != nil {
			return err
		}
	}
	return nil
}

// end publishes CycleEnd once every change of the cycle is stored and
// (EndBarrier) consumed by the transformers: the transformer decides the
// deletion threshold on it. On-demand cycles have no threshold to wait for.
func (c *cycle) end(ctx context.Context) error {
	if err := c.pp.waitAll(ctx); err != nil {
		return err
	}
	if c.r.cfg.EndBarrier && c.mode != eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
		if err := c.waitDrained(ctx, "end"); err != nil {
			return err
		}
	}
	subject, err := natsx.CycleSubject(c.start.GetConfigurationId(), natsx.CycleVerbEnd)
	if err != nil {
		return err
	}
	msg := &eventsv1.CycleEnd{
		ConfigurationId:  c.start.GetConfigurationId(),
		CycleId:          c.start.GetCycleId(),
		ChangesPublished: c.carried + c.pp.published,
		FinishedAt:       timestamppb.Now(),
		Mode:             c.mode,
	}
	if err := c.pp.pub.Publish(ctx, subject, msg, c.start.GetCycleId()+"/end"); err != nil {
		return fmt.Errorf("publish cycle end: %w", err)
	}
	return c.pp.waitAll(ctx)
}

func (c *cycle) fetchUsers(ctx context.Context, req graph.DeltaRequest, _ bool) (pageResult, error) {
	p, err := c.src.UsersDeltaPage(ctx, req)
	if err != nil {
		return pageResult{}, fmt.Errorf("read users delta page: %w", err)
	}
	changes, err := c.f.userChanges(p)
	if err != nil {
		return pageResult{}, err
	}
	if c.usersRead != nil {
		for _, ch := range changes {
			c.usersRead[ch.GetObject().GetObjectId()] = true
		}
	}
	return pageResult{changes: changes, objects: len(p.Objects), removed: len(p.Removed),
		nextLink: p.NextLink, delta: p.DeltaLink}, nil
}

func (c *cycle) fetchGroups(ctx context.Context, req graph.DeltaRequest, full bool) (pageResult, error) {
	p, err := c.src.GroupsDeltaPage(ctx, req)
	if err != nil {
		return pageResult{}, fmt.Errorf("read groups delta page: %w", err)
	}
	changes, err := c.f.groupChanges(ctx, c.src, p, full, c.r.cfg.MemberConcurrency, c.listMembers)
	if err != nil {
		return pageResult{}, err
	}
	if full {
		if err := c.accumulateMembers(ctx, changes); err != nil {
			return pageResult{}, err
		}
	}
	return pageResult{changes: changes, objects: len(p.Objects), removed: len(p.Removed),
		nextLink: p.NextLink, delta: p.DeltaLink}, nil
}
