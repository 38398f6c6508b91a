package scheduler

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
)

// updatable are the update_mask paths; the tenant ids are not among them:
// another tenant is another configuration (watermarks, connector data).
var updatable = map[string]bool{
	"display_name": true, "rules": true, "schedule_interval": true,
	"source": true, "target": true,
	"source.domain": true, "source.client_id": true, "source.credential_ref": true, "source.graph_url": true, "source.authority_url": true,
	"target.domain": true, "target.client_id": true, "target.credential_ref": true, "target.graph_url": true, "target.authority_url": true,
}

// UpdateConfiguration changes the fields in update_mask if the etag still
// matches; the result is validated whole. Caller: portals, xtsyncctl
// config update.
func (s *Scheduler) UpdateConfiguration(ctx context.Context, req *schedulerv1.UpdateConfigurationRequest) (*schedulerv1.UpdateConfigurationResponse, error) {
	in := req.GetConfiguration()
	var fe rules.FieldErrors
	if in == nil {
		fe.Addf(rules.Required, "configuration", "required")
	}
	checkConfigID(&fe, "configuration.id", in.GetId())
	if in.GetEtag() == "" {
		fe.Addf(rules.Required, "configuration.etag", "required: send the etag you read")
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		fe.Addf(rules.Required, "update_mask", "name the fields to change")
	}
	for i, p := range paths {
		if !updatable[p] {
			fe.Addf(rules.InvalidValue, rules.Index("update_mask.paths", i), "%q cannot be updated (tenant ids, id and server fields are fixed)", p)
		}
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	old, err := s.load(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	next := proto.CloneOf(old)
	for _, p := range paths {
		copyPath(next, in, p)
	}
	// The tenant ids stay fixed even when "source" is replaced whole.
	if in.GetSource() != nil && in.GetSource().GetTenantId() != "" && !strings.EqualFold(in.GetSource().GetTenantId(), old.GetSource().GetTenantId()) {
		fe.Addf(rules.InvalidValue, "configuration.source.tenant_id", "cannot change: create a new configuration")
	}
	if in.GetTarget() != nil && in.GetTarget().GetTenantId() != "" && !strings.EqualFold(in.GetTarget().GetTenantId(), old.GetTarget().GetTenantId()) {
		fe.Addf(rules.InvalidValue, "configuration.target.tenant_id", "cannot change: create a new configuration")
	}
	if next.Source != nil {
		next.Source.TenantId = old.GetSource().GetTenantId()
	}
	if next.Target != nil {
		next.Target.TenantId = old.GetTarget().GetTenantId()
	}
	verrs, r := validateConfig(next)
	fe = append(fe, verrs...)
	if len(fe) > 0 {
		fe.Sort()
		return nil, grpcx.InvalidArgument("", fe)
	}
	now := s.now()
	next.UpdateTime = timestamppb.New(now)
	next.UpdatedBy = callerName(ctx)
	err = s.store.Update(ctx, old, next, in.GetEtag())
	if err == nil {
		err = s.syncJob(ctx, next, r != nil, now)
	}
	err = s.toStatus(ctx, err)
	s.audit(ctx, "UpdateConfiguration", in.GetId(), req, err)
	if err != nil {
		return nil, err
	}
	return &schedulerv1.UpdateConfigurationResponse{Configuration: next}, nil
}

// syncJob carries a changed interval (the next run moves closer if the new
// interval says so) and rules appearing or vanishing to the job.
func (s *Scheduler) syncJob(ctx context.Context, c *schedulerv1.Configuration, hasRules bool, now time.Time) error {
	_, err := s.jobs.apply(ctx, c.GetId(), now, transition{interval: c.GetScheduleInterval().AsDuration()})
	if err != nil {
		return err
	}
	t := transition{
		from: []schedulerv1.JobState{schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED},
		to:   schedulerv1.JobState_JOB_STATE_NOT_RUN, reason: ptr(""),
	}
	if !hasRules {
		t = transition{
			from: []schedulerv1.JobState{schedulerv1.JobState_JOB_STATE_NOT_RUN, schedulerv1.JobState_JOB_STATE_ACTIVE,
				schedulerv1.JobState_JOB_STATE_PAUSED, schedulerv1.JobState_JOB_STATE_QUARANTINE},
			to: schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED, reason: ptr(""), endCycle: "1",
		}
	}
	old, err := s.jobs.apply(ctx, c.GetId(), now, t)
	if errors.Is(err, ErrState) {
		return nil
	}
	if err == nil && !hasRules {
		return s.stopCycle(ctx, c.GetId(), old.Cycle, ReasonJobPaused)
	}
	return err
}

// copyPath copies the field at a mask path ("rules", "source.client_id")
// from src to dst; an unset source field clears it.
func copyPath(dst, src *schedulerv1.Configuration, path string) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	parts := strings.Split(path, ".")
	for _, name := range parts[:len(parts)-1] {
		fd := d.Descriptor().Fields().ByName(protoreflect.Name(name))
		if !s.Has(fd) {
			d.Clear(fd)
			return
		}
		d, s = d.Mutable(fd).Message(), s.Get(fd).Message()
	}
	fd := d.Descriptor().Fields().ByName(protoreflect.Name(parts[len(parts)-1]))
	if s.Has(fd) {
		d.Set(fd, s.Get(fd))
	} else {
		d.Clear(fd)
	}
}

// DeleteConfiguration stops the job (CycleStop for its running cycle) and
// removes the configuration with its job, watermarks, escrows, quarantine
// and connector data. Caller: portals, xtsyncctl config delete.
func (s *Scheduler) DeleteConfiguration(ctx context.Context, req *schedulerv1.DeleteConfigurationRequest) (*schedulerv1.DeleteConfigurationResponse, error) {
	var fe rules.FieldErrors
	checkConfigID(&fe, "configuration_id", req.GetConfigurationId())
	if req.GetEtag() == "" {
		fe.Addf(rules.Required, "etag", "required: send the etag you read")
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	id := c.GetId()
	// The configuration goes first (conditional on the etag): once it is
	// gone nothing new starts, and a crash leaves only state to sweep.
	err = s.store.Delete(ctx, c, req.GetEtag())
	if err == nil {
		err = s.purge(ctx, id)
	}
	err = s.toStatus(ctx, err)
	s.audit(ctx, "DeleteConfiguration", id, req, err)
	if err != nil {
		return nil, err
	}
	return &schedulerv1.DeleteConfigurationResponse{}, nil
}

// purge stops the running cycle and drops every piece of state of a
// deleted configuration.
func (s *Scheduler) purge(ctx context.Context, id string) error {
	job, err := s.jobs.get(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	errs := []error{s.stopCycle(ctx, id, job.Cycle, ReasonConfigurationDeleted)}
	// Reset, not delete: the revision keeps growing, so a reader still
	// running on the old one loses its next commit.
	for _, t := range []redisx.ObjectType{redisx.Users, redisx.Groups} {
		if _, err := s.deps.Watermarks.Reset(ctx, id, t); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs,
		s.deps.Escrows.ClearAll(ctx, id),
		s.deps.Quarantines.Release(ctx, id),
		s.jobs.delete(ctx, id))
	if s.deps.Connectors != nil {
		errs = append(errs, s.deps.Connectors.Drop(ctx, id))
	}
	return errors.Join(errs...)
}
