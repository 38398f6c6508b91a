package scheduler

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
)

// RestartJob stops the running cycle, optionally resets the watermarks
// (full import), drops escrows, ends quarantine and approves the held
// deletions, then runs a FULL cycle and leaves the job Active. Caller:
// portals, xtsyncctl job restart.
func (s *Scheduler) RestartJob(ctx context.Context, req *schedulerv1.RestartJobRequest) (*schedulerv1.RestartJobResponse, error) {
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	id, now := c.GetId(), s.now()
	cycleID := newID(now)
	// Approval before anything moves: the transformer releases the held
	// deletions of the cycle named here (see doc.go).
	rec, err := s.jobs.get(ctx, id)
	if err == nil && req.GetForceDeletes() {
		held := rec.Held
		if held == "" {
			held = rec.Cycle
		}
		if held == "" {
			held = rec.Last
		}
		if held != "" {
			// approved keeps the leader from pausing the job again for
			// this cycle while the transformer releases its deletions.
			err = s.deps.Redis.HSet(ctx, jobKey(id), "approved", held).Err()
		}
		if held != "" && err == nil {
			err = s.deps.Redis.Set(ctx, forceDeletesKey(id), held, s.cfg.ForceDeletesTTL).Err()
		}
	}
	var old jobRecord
	if err == nil {
		old, err = s.jobs.apply(ctx, id, now, transition{
			from: []jobState{stNotRun, stActive, stPaused, stQuarantine}, to: stActive, reason: ptr(""),
			cycle: cycleID, mode: modeFull, endCycle: "1", held: "-",
		})
	}
	if errors.Is(err, ErrState) {
		err = status.Error(codes.FailedPrecondition, "a NotConfigured job cannot be restarted: add rules first")
	}
	if err == nil {
		err = s.stopCycle(ctx, id, old.Cycle, ReasonJobRestarted)
	}
	if err == nil {
		err = s.resetState(ctx, id, req)
	}
	if err == nil {
		err = s.startOrRewind(ctx, id, cycleID, modeFull)
	}
	return jobResult(ctx, s, "RestartJob", id, req, err, func(j *schedulerv1.Job) *schedulerv1.RestartJobResponse {
		return &schedulerv1.RestartJobResponse{Job: j}
	})
}

func (s *Scheduler) resetState(ctx context.Context, id string, req *schedulerv1.RestartJobRequest) error {
	if req.GetResetWatermark() {
		for _, t := range []redisx.ObjectType{redisx.Users, redisx.Groups} {
			if _, err := s.deps.Watermarks.Reset(ctx, id, t); err != nil {
				return fmt.Errorf("reset %s watermark of %s: %w", t, id, err)
			}
		}
	}
	if req.GetClearEscrows() {
		if err := s.deps.Escrows.ClearAll(ctx, id); err != nil {
			return fmt.Errorf("clear escrows of %s: %w", id, err)
		}
	}
	if req.GetClearQuarantine() {
		if err := s.deps.Quarantines.Release(ctx, id); err != nil {
			return fmt.Errorf("release quarantine of %s: %w", id, err)
		}
	}
	return nil
}

// maxOnDemandObjects is Entra's limit for provisioning on demand.
const maxOnDemandObjects = 5

// ProvisionOnDemand publishes an ON_DEMAND CycleStart for the named source
// objects and returns its cycle id with the outcomes that reached the
// provisioning log within timeout (Deps.Logs; none without it, and the
// rest keep arriving in the log under the cycle id). Caller: portals,
// xtsyncctl provision.
func (s *Scheduler) ProvisionOnDemand(ctx context.Context, req *schedulerv1.ProvisionOnDemandRequest) (*schedulerv1.ProvisionOnDemandResponse, error) {
	var fe rules.FieldErrors
	checkConfigID(&fe, "configuration_id", req.GetConfigurationId())
	objs := req.GetObjects()
	if len(objs) == 0 {
		fe.Addf(rules.Required, "objects", "name 1 to %d source objects", maxOnDemandObjects)
	} else if len(objs) > maxOnDemandObjects {
		fe.Addf(rules.InvalidValue, "objects", "at most %d objects, got %d", maxOnDemandObjects, len(objs))
	}
	for i, o := range objs {
		p := rules.Index("objects", i)
		if o.GetType() != commonv1.ObjectType_OBJECT_TYPE_USER && o.GetType() != commonv1.ObjectType_OBJECT_TYPE_GROUP {
			fe.Addf(rules.InvalidValue, p+".type", "USER or GROUP")
		}
		if !guid.MatchString(o.GetObjectId()) {
			fe.Addf(rules.InvalidValue, p+".object_id", "not an object id (GUID)")
		}
		if o.GetTenantId() != "" && !guid.MatchString(o.GetTenantId()) {
			fe.Addf(rules.InvalidValue, p+".tenant_id", "not a tenant id (GUID)")
		}
	}
	if t := req.GetTimeout(); t != nil && (t.CheckValid() != nil || t.AsDuration() < 0 || t.AsDuration() > 10*60e9) {
		fe.Addf(rules.InvalidValue, "timeout", "must be 0..10m")
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	for i, o := range objs {
		if o.GetTenantId() != "" && o.GetTenantId() != c.GetSource().GetTenantId() {
			fe.Addf(rules.InvalidValue, rules.Index("objects", i)+".tenant_id", "must be the source tenant")
		}
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	rec, err := s.jobs.get(ctx, c.GetId())
	if err == nil && rec.State == stNotConfigured {
		err = status.Error(codes.FailedPrecondition, "the job has no rules yet")
	}
	cycleID := newID(s.now())
	if err == nil {
		refs := make([]*commonv1.ObjectRef, len(objs))
		for i, o := range objs {
			refs[i] = &commonv1.ObjectRef{Type: o.GetType(), TenantId: c.GetSource().GetTenantId(), ObjectId: o.GetObjectId()}
		}
		err = s.startCycle(ctx, c.GetId(), cycleID, modeOnDemand, refs)
	}
	err = s.toStatus(ctx, err)
	s.audit(ctx, "ProvisionOnDemand", c.GetId(), req, err)
	if err != nil {
		return nil, err
	}
	wait := defaultOnDemandWait
	if req.GetTimeout() != nil {
		wait = req.GetTimeout().AsDuration()
	}
	refs := make([]*commonv1.ObjectRef, len(objs))
	for i, o := range objs {
		refs[i] = &commonv1.ObjectRef{Type: o.GetType(), TenantId: c.GetSource().GetTenantId(), ObjectId: o.GetObjectId()}
	}
	return &schedulerv1.ProvisionOnDemandResponse{CycleId: cycleID, Results: s.awaitOnDemand(ctx, c.GetId(), cycleID, refs, wait)}, nil
}
