package scheduler_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/services/scheduler"
)

// logStub answers as the log service would once the writer's outcome is
// logged: nothing on the first query, the entry on later ones.
type logStub struct {
	calls atomic.Int32
}

func (l *logStub) ListProvisioningLogs(_ context.Context, req *synclogv1.ListProvisioningLogsRequest) (*synclogv1.ListProvisioningLogsResponse, error) {
	if l.calls.Add(1) == 1 {
		return &synclogv1.ListProvisioningLogsResponse{}, nil
	}
	f := req.GetFilter()
	return &synclogv1.ListProvisioningLogsResponse{Entries: []*eventsv1.ProvisioningLogEntry{{
		ConfigurationId: f.GetConfigurationId(), CycleId: f.GetCycleId(),
		Source:         &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: onDemandUser},
		TargetObjectId: "t-1", Action: eventsv1.WriteAction_WRITE_ACTION_HARD_DELETE,
		Status:    eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SUCCESS,
		StepsJson: onDemandSteps,
	}}}, nil
}

const (
	onDemandUser  = "0a1b2c3d-0000-4000-8000-00000000000b"
	onDemandSteps = `[{"provisioningStepType":"import","name":"EntryImport","status":"success","description":"retrieved User"},` +
		`{"provisioningStepType":"export","name":"EntryExport","status":"success","description":"HardDelete in the target tenant succeeded"}]`
)

func TestProvisionOnDemandWaitsForTheLog(t *testing.T) {
	t.Parallel()
	stub := &logStub{}
	e := newEnv(t, func(d *scheduler.Deps) { d.Logs = stub })
	id := e.create(validConfig(tenantA, tenantB)).GetId()
	resp, err := e.admin().ProvisionOnDemand(ctxT(t), &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: id,
		Objects: []*commonv1.ObjectRef{{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: onDemandUser}},
		Timeout: durationpb.New(waitFor)})
	require.NoError(t, err)
	require.Len(t, resp.GetResults(), 1)
	r := resp.GetResults()[0]
	require.Equal(t, "HardDelete", r.GetAction())
	require.Equal(t, "success", r.GetStatus())
	require.Equal(t, "t-1", r.GetTargetObjectId())
	require.Equal(t, onDemandUser, r.GetObject().GetObjectId())
	require.JSONEq(t, onDemandSteps, r.GetStepsJson(), "the log entry's steps")
	require.GreaterOrEqual(t, stub.calls.Load(), int32(2))
}
