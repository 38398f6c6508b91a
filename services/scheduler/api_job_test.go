package scheduler_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/scheduler"
)

const (
	notConfigured = schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED
	notRun        = schedulerv1.JobState_JOB_STATE_NOT_RUN
	active        = schedulerv1.JobState_JOB_STATE_ACTIVE
	paused        = schedulerv1.JobState_JOB_STATE_PAUSED
	quarantined   = schedulerv1.JobState_JOB_STATE_QUARANTINE
)

func TestJobStateMachine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.create(validConfig(tenantA, tenantB))
	id := c.GetId()
	adm := e.admin()

	type step struct {
		name  string
		call  func() error
		code  codes.Code
		state schedulerv1.JobState
	}
	start := func() error {
		_, err := adm.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
		return err
	}
	pause := func() error {
		_, err := adm.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: id})
		return err
	}
	restart := func() error {
		_, err := adm.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: id})
		return err
	}
	steps := []step{
		{"NotRun cannot pause", pause, codes.FailedPrecondition, notRun},
		{"NotRun starts", start, codes.OK, active},
		{"Active cannot start again", start, codes.FailedPrecondition, active},
		{"Active pauses", pause, codes.OK, paused},
		{"Paused cannot pause again", pause, codes.FailedPrecondition, paused},
		{"Paused starts", start, codes.OK, active},
		{"Active pauses again", pause, codes.OK, paused},
		{"Paused restarts", restart, codes.OK, active},
		{"Active restarts", restart, codes.OK, active},
	}
	for _, s := range steps {
		err := s.call()
		require.Equal(t, s.code, status.Code(err), "%s: %v", s.name, err)
		require.Equal(t, s.state, e.job(id).GetState(), s.name)
	}
	starts := e.starts(id)
	require.Len(t, starts, 4)
	modes := []eventsv1.CycleMode{starts[0].GetMode(), starts[1].GetMode(), starts[2].GetMode(), starts[3].GetMode()}
	require.Equal(t, []eventsv1.CycleMode{eventsv1.CycleMode_CYCLE_MODE_DELTA, eventsv1.CycleMode_CYCLE_MODE_DELTA,
		eventsv1.CycleMode_CYCLE_MODE_FULL, eventsv1.CycleMode_CYCLE_MODE_FULL}, modes)
	// Every pause and restart stopped the cycle that was running.
	stops := e.stops(id)
	require.Len(t, stops, 3)
	require.Equal(t, starts[0].GetCycleId(), stops[0].GetCycleId())
	require.Equal(t, scheduler.ReasonJobPaused, stops[0].GetReason())
	require.Equal(t, starts[1].GetCycleId(), stops[1].GetCycleId())
	require.Equal(t, starts[2].GetCycleId(), stops[2].GetCycleId())
	require.Equal(t, scheduler.ReasonJobRestarted, stops[2].GetReason())
	job := e.job(id)
	require.Equal(t, starts[3].GetCycleId(), job.GetCurrentCycle().GetCycleId())
	require.Equal(t, "full", job.GetCurrentCycle().GetMode())

	// Without rules the job is NotConfigured and cannot run; rules bring it
	// to NotRun.
	bare := validConfig(tenantA, tenantC)
	bare.Rules = nil
	b := e.create(bare)
	_, err := adm.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: b.GetId()})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	_, err = adm.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: b.GetId()})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Equal(t, notConfigured, e.job(b.GetId()).GetState())
	_, err = adm.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: &schedulerv1.Configuration{Id: b.GetId(), Etag: b.GetEtag(), Rules: validConfig(tenantA, tenantC).GetRules()},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"rules"}},
	})
	require.NoError(t, err)
	require.Equal(t, notRun, e.job(b.GetId()).GetState())
}

func TestRestartJobResetsState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	id := e.create(validConfig(tenantA, tenantB)).GetId()
	_, err := e.admin().StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	held := e.starts(id)[0].GetCycleId()

	// State a reader, the writers and the log service left behind.
	wm, err := e.deps.Watermarks.Commit(ctx, id, redisx.Users, 0, redisx.Watermark{DeltaLink: "https://graph/delta?token=x"})
	require.NoError(t, err)
	_, err = e.deps.Escrows.RecordFailure(ctx, id, "u1", "EntryConflict", "x")
	require.NoError(t, err)
	_, err = e.deps.Quarantines.Enter(ctx, id, "TooManyDeletes", "x", e.clock.Now())
	require.NoError(t, err)
	job := e.job(id)
	require.Equal(t, quarantined, job.GetState())
	require.Equal(t, int64(1), job.GetEscrowedObjects())

	resp, err := e.admin().RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: id,
		ResetWatermark: true, ClearEscrows: true, ClearQuarantine: true, ForceDeletes: true})
	require.NoError(t, err)
	require.Equal(t, active, resp.GetJob().GetState())
	require.Zero(t, resp.GetJob().GetEscrowedObjects())
	require.Nil(t, resp.GetJob().GetQuarantine())

	got, err := e.deps.Watermarks.Get(ctx, id, redisx.Users)
	require.NoError(t, err)
	require.Empty(t, got.DeltaLink)
	require.Greater(t, got.Rev, wm.Rev, "a reader on the old revision loses its next commit")
	approved, err := e.rdb.Get(ctx, "xtsync:{"+id+"}:force-deletes").Result()
	require.NoError(t, err)
	require.Equal(t, held, approved)

	starts := e.starts(id)
	require.Len(t, starts, 2)
	require.Equal(t, eventsv1.CycleMode_CYCLE_MODE_FULL, starts[1].GetMode())
	require.Equal(t, held, e.stops(id)[0].GetCycleId())
	require.Equal(t, starts[1].GetCycleId(), resp.GetJob().GetCurrentCycle().GetCycleId())
}

func TestProvisionOnDemand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	id := e.create(validConfig(tenantA, tenantB)).GetId()
	user := &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: "0a1b2c3d-0000-4000-8000-00000000000a"}

	resp, err := e.client("token-b").ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: id, Objects: []*commonv1.ObjectRef{user}})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetCycleId())
	require.Empty(t, resp.GetResults(), "results need the log service's query API")
	starts := e.starts(id)
	require.Len(t, starts, 1)
	require.Equal(t, resp.GetCycleId(), starts[0].GetCycleId())
	require.Equal(t, eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND, starts[0].GetMode())
	require.Len(t, starts[0].GetObjects(), 1)
	require.Equal(t, tenantA, starts[0].GetObjects()[0].GetTenantId())
	require.Equal(t, notRun, e.job(id).GetState(), "on demand leaves the job alone")

	six := make([]*commonv1.ObjectRef, 6)
	for i := range six {
		six[i] = user
	}
	_, err = e.admin().ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: id, Objects: six})
	require.Contains(t, fields(t, err), "objects")
	_, err = e.admin().ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: id, Objects: []*commonv1.ObjectRef{
		{ObjectId: "nope"}, {Type: commonv1.ObjectType_OBJECT_TYPE_GROUP, ObjectId: user.GetObjectId(), TenantId: "x"}}})
	f := fields(t, err)
	require.Len(t, f, 3, "%v", f)
	require.Contains(t, f, "objects[0].type")
	require.Contains(t, f, "objects[0].object_id")
	require.Contains(t, f, "objects[1].tenant_id")
	_, err = e.admin().ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: id, Objects: []*commonv1.ObjectRef{
		{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: user.GetObjectId(), TenantId: tenantB}}})
	require.Contains(t, fields(t, err), "objects[0].tenant_id")
	require.Len(t, e.starts(id), 1)
}

func TestEvaluateExpression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	attrs, err := structpbStruct(map[string]any{"givenName": "Ada", "surname": "Lovelace"})
	require.NoError(t, err)
	resp, err := e.client("token-a").EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{
		Expression: `Join(" ", [givenName], [surname])`, Attributes: attrs})
	require.NoError(t, err)
	require.Equal(t, "Ada Lovelace", resp.GetResult().GetStringValue())

	_, err = e.admin().EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{Expression: `Join(" ", [givenName]`, Attributes: attrs})
	f := fields(t, err)
	require.Contains(t, f["expression"], "position")
	_, err = e.admin().EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{})
	require.Contains(t, fields(t, err), "expression")
	_, err = e.client("").EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{Expression: `"x"`})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
}
