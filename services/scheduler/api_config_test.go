package scheduler_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/scheduler"
)

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	out := map[string]string{}
	for _, v := range grpcx.FieldViolations(err) {
		out[v.GetField()] = v.GetDescription()
	}
	return out
}

func TestCreateConfiguration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)

	c := e.create(validConfig(tenantA, tenantB))
	require.NotEmpty(t, c.GetId())
	require.Equal(t, "1", c.GetEtag())
	require.Equal(t, "sre", c.GetUpdatedBy())
	require.Equal(t, scheduler.DefaultInterval, c.GetScheduleInterval().AsDuration())
	require.Equal(t, tenantA, c.GetRules().GetFields()["sourceTenantId"].GetStringValue())
	require.Equal(t, schedulerv1.JobState_JOB_STATE_NOT_RUN, e.job(c.GetId()).GetState())

	got, err := e.admin().GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: c.GetId()})
	require.NoError(t, err)
	require.True(t, proto.Equal(c, got.GetConfiguration()))

	// No rules: NotConfigured.
	bare := validConfig(tenantA, tenantC)
	bare.Rules = nil
	require.Equal(t, schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED, e.job(e.create(bare).GetId()).GetState())

	// validate_only stores nothing.
	vo, err := e.admin().CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: validConfig(tenantC, tenantD), ValidateOnly: true})
	require.NoError(t, err)
	require.Empty(t, vo.GetConfiguration().GetId())
	list, err := e.admin().ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetConfigurations(), 2)

	// The audit stream holds one protojson AuditEntry per change.
	msgs, err := e.rdb.XRange(ctx, scheduler.AuditStream, "-", "+").Result()
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	var entry synclogv1.AuditEntry
	require.NoError(t, protojson.Unmarshal([]byte(msgs[0].Values[scheduler.AuditField].(string)), &entry))
	require.Equal(t, "sre", entry.GetActor())
	require.Equal(t, "CreateConfiguration", entry.GetAction())
	require.Equal(t, c.GetId(), entry.GetConfigurationId())
	require.Equal(t, "success", entry.GetResult())
	require.True(t, json.Valid([]byte(entry.GetDetailsJson())))
}

func TestCreateConfigurationListsEveryProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	badRules, err := structpb.NewStruct(map[string]any{
		"deprovision": "Vaporize", "scopingFilter": []any{},
	})
	require.NoError(t, err)
	invalidRules, err := structpb.NewStruct(map[string]any{
		"deprovision": "Vaporize", "accidentalDeletion": map[string]any{"threshold": 0},
	})
	require.NoError(t, err)
	const pasted = "s3cr3t~value.that-is-a-client-secret"
	tests := []struct {
		name string
		cfg  *schedulerv1.Configuration
		want map[string]string // field -> description fragment
	}{
		{"nothing", nil, map[string]string{"configuration": "required"}},
		{"everything wrong", &schedulerv1.Configuration{
			Id: "mine", Etag: "7", DisplayName: string(make([]byte, 300)),
			Source:           &commonv1.TenantRef{TenantId: "not-a-guid", ClientId: "", CredentialRef: pasted, GraphUrl: "http://graph.example/v1.0"},
			Target:           &commonv1.TenantRef{TenantId: "", ClientId: "x", CredentialRef: "vault:kv/x", AuthorityUrl: "https://u:p@login.example/"},
			ScheduleInterval: durationpb.New(time.Minute),
			Rules:            invalidRules,
		}, map[string]string{
			"configuration.id":                                 "assigned by the server",
			"configuration.etag":                               "assigned by the server",
			"configuration.display_name":                       "longer than",
			"configuration.source.tenant_id":                   "GUID",
			"configuration.source.client_id":                   "required",
			"configuration.source.credential_ref":              "never the secret",
			"configuration.source.graph_url":                   "https",
			"configuration.target.tenant_id":                   "required",
			"configuration.target.client_id":                   "GUID",
			"configuration.target.credential_ref":              "unknown kind",
			"configuration.target.authority_url":               "https",
			"configuration.schedule_interval":                  "outside 5m0s..24h0m0s",
			"configuration.rules.deprovision":                  "SoftDelete or Disable",
			"configuration.rules.accidentalDeletion.threshold": "at least 1",
			"configuration.rules.assignments":                  "at least one user or group",
		}},
		{"same tenant twice and unknown rules field", func() *schedulerv1.Configuration {
			c := validConfig(tenantA, tenantA)
			c.Rules = badRules
			c.ScheduleInterval = durationpb.New(25 * time.Hour)
			return c
		}(), map[string]string{
			"configuration.target.tenant_id":  "must differ",
			"configuration.rules":             "unknown field",
			"configuration.schedule_interval": "outside",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.admin().CreateConfiguration(ctxT(t), &schedulerv1.CreateConfigurationRequest{Configuration: tc.cfg})
			got := fields(t, err)
			require.Len(t, got, len(tc.want), "%v", got)
			for f, frag := range tc.want {
				require.Contains(t, got, f)
				require.Contains(t, got[f], frag, f)
			}
			require.NotContains(t, status.Convert(err).String(), pasted, "a pasted secret must never be echoed")
		})
	}
	// Nothing was half-written.
	n, err := e.rdb.SCard(ctxT(t), "xtsync:configs").Result()
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestConfigurationAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	ab := e.create(validConfig(tenantA, tenantB))
	cd := e.create(validConfig(tenantC, tenantD))
	ac := e.create(validConfig(tenantA, tenantC))

	a, b := e.client("token-a"), e.client("token-b")
	_, err := a.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: ab.GetId()})
	require.NoError(t, err)
	_, err = b.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: ab.GetId()})
	require.NoError(t, err, "the target tenant sees its configuration too")
	_, err = b.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: ac.GetId()})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = e.client("").GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: ab.GetId()})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
	_, err = e.client("token-z").GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: ab.GetId()})
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	// Tenant A can neither create, change, delete nor trigger C→D.
	_, err = a.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: validConfig(tenantC, tenantD)})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	denied := []func() error{
		func() error {
			_, err := a.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
				Configuration: &schedulerv1.Configuration{Id: cd.GetId(), Etag: cd.GetEtag(), DisplayName: "x"},
				UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
			return err
		},
		func() error {
			_, err := a.DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: cd.GetId(), Etag: cd.GetEtag()})
			return err
		},
		func() error {
			_, err := a.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cd.GetId()})
			return err
		},
		func() error {
			_, err := a.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cd.GetId()})
			return err
		},
		func() error {
			_, err := a.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: cd.GetId(), ResetWatermark: true})
			return err
		},
		func() error {
			_, err := a.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cd.GetId(),
				Objects: []*commonv1.ObjectRef{{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: appID}}})
			return err
		},
		func() error {
			_, err := a.TestConnection(ctx, &schedulerv1.TestConnectionRequest{ConfigurationId: cd.GetId()})
			return err
		},
		func() error {
			_, err := a.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cd.GetId()})
			return err
		},
	}
	for i, call := range denied {
		require.Equal(t, codes.PermissionDenied, status.Code(call()), "call %d", i)
	}
	require.Empty(t, e.starts(cd.GetId()))
	got, err := e.admin().GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cd.GetId()})
	require.NoError(t, err)
	require.Equal(t, cd.GetEtag(), got.GetConfiguration().GetEtag())
}

func TestListConfigurations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	ab := e.create(validConfig(tenantA, tenantB))
	ac := e.create(validConfig(tenantA, tenantC))
	cd := e.create(validConfig(tenantC, tenantD))
	sorted := func(cs ...*schedulerv1.Configuration) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.GetId())
		}
		slices.Sort(out)
		return out
	}

	ids := func(client schedulerv1.SchedulerServiceClient, req *schedulerv1.ListConfigurationsRequest) []string {
		var out []string
		for {
			resp, err := client.ListConfigurations(ctx, req)
			require.NoError(t, err)
			for _, c := range resp.GetConfigurations() {
				out = append(out, c.GetId())
			}
			if resp.GetNextPageToken() == "" {
				return out
			}
			req = proto.CloneOf(req)
			req.PageToken = resp.GetNextPageToken()
		}
	}
	require.Equal(t, sorted(ab, ac, cd), ids(e.admin(), &schedulerv1.ListConfigurationsRequest{PageSize: 1}))
	require.Equal(t, sorted(ab, ac), ids(e.client("token-a"), &schedulerv1.ListConfigurationsRequest{}))
	require.Equal(t, sorted(ab), ids(e.client("token-b"), &schedulerv1.ListConfigurationsRequest{PageSize: 1}))
	require.Equal(t, sorted(ac, cd), ids(e.admin(), &schedulerv1.ListConfigurationsRequest{TenantId: tenantC}))

	_, err := e.client("token-a").ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{TenantId: tenantC})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = e.admin().ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{PageSize: 501, PageToken: "!!", TenantId: "x"})
	got := fields(t, err)
	require.Len(t, got, 3)
	require.Contains(t, got, "page_size")
	require.Contains(t, got, "page_token")
	require.Contains(t, got, "tenant_id")
}

func TestUpdateConfiguration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.create(validConfig(tenantA, tenantB))

	upd, err := e.client("token-a").UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: &schedulerv1.Configuration{Id: c.GetId(), Etag: c.GetEtag(), DisplayName: "renamed",
			ScheduleInterval: durationpb.New(10 * time.Minute),
			Source:           &commonv1.TenantRef{CredentialRef: "env:OTHER"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "schedule_interval", "source.credential_ref"}},
	})
	require.NoError(t, err)
	got := upd.GetConfiguration()
	require.Equal(t, "2", got.GetEtag())
	require.Equal(t, "renamed", got.GetDisplayName())
	require.Equal(t, "portal-a", got.GetUpdatedBy())
	require.Equal(t, "env:OTHER", got.GetSource().GetCredentialRef())
	require.Equal(t, tenantA, got.GetSource().GetTenantId())
	require.Equal(t, appID, got.GetSource().GetClientId(), "fields outside the mask stay")
	require.Equal(t, 10*time.Minute, e.job(c.GetId()).GetScheduleInterval().AsDuration())

	// The old etag lost.
	_, err = e.admin().UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: &schedulerv1.Configuration{Id: c.GetId(), Etag: c.GetEtag(), DisplayName: "stale"},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	})
	require.Equal(t, codes.Aborted, status.Code(err))

	// Bad mask, fixed tenant, invalid result: all at once.
	_, err = e.admin().UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: &schedulerv1.Configuration{Id: c.GetId(), Etag: got.GetEtag()},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"id", "source.tenant_id"}},
	})
	f := fields(t, err)
	require.Contains(t, f, "update_mask.paths[0]")
	require.Contains(t, f, "update_mask.paths[1]")
	_, err = e.admin().UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: &schedulerv1.Configuration{Id: c.GetId(), Etag: got.GetEtag(),
			Source: &commonv1.TenantRef{TenantId: tenantC}, ScheduleInterval: durationpb.New(time.Second)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"source", "schedule_interval"}},
	})
	f = fields(t, err)
	require.Contains(t, f, "configuration.source.tenant_id")
	require.Contains(t, f, "configuration.source.client_id")
	require.Contains(t, f, "configuration.source.credential_ref")
	require.Contains(t, f, "configuration.schedule_interval")
	_, err = e.admin().UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{})
	f = fields(t, err)
	require.Contains(t, f, "configuration")
	require.Contains(t, f, "configuration.id")
	require.Contains(t, f, "configuration.etag")
	require.Contains(t, f, "update_mask")

	// Still at revision 2.
	now, err := e.admin().GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: c.GetId()})
	require.NoError(t, err)
	require.Equal(t, "2", now.GetConfiguration().GetEtag())
}

func TestDeleteConfiguration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.create(validConfig(tenantA, tenantB))
	id := c.GetId()
	_, err := e.admin().StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
	require.NoError(t, err)
	_, err = e.deps.Escrows.RecordFailure(ctx, id, "u1", "EntryConflict", "x")
	require.NoError(t, err)
	_, err = e.deps.Quarantines.Enter(ctx, id, "EncounteredTotalEscrowThreshold", "x", e.clock.Now())
	require.NoError(t, err)

	_, err = e.admin().DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: id, Etag: "9"})
	require.Equal(t, codes.Aborted, status.Code(err))
	_, err = e.admin().DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: "Bad.Id"})
	f := fields(t, err)
	require.Contains(t, f, "configuration_id")
	require.Contains(t, f, "etag")

	_, err = e.admin().DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: id, Etag: c.GetEtag()})
	require.NoError(t, err)
	_, err = e.admin().GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: id})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.admin().GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: id})
	require.Equal(t, codes.NotFound, status.Code(err))

	stops := e.stops(id)
	require.Len(t, stops, 1)
	require.Equal(t, e.starts(id)[0].GetCycleId(), stops[0].GetCycleId())
	require.Equal(t, scheduler.ReasonConfigurationDeleted, stops[0].GetReason())
	esc, err := e.deps.Escrows.List(ctx, id)
	require.NoError(t, err)
	require.Empty(t, esc)
	_, err = e.deps.Quarantines.Get(ctx, id)
	require.Error(t, err)
	list, err := e.admin().ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{})
	require.NoError(t, err)
	require.Empty(t, list.GetConfigurations())
}
