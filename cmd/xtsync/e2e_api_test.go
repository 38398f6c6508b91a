package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
)

// TestE2EAPIRefusesBadRequests sends every RPC missing, malformed and
// oversized fields, and requests for another tenant's configuration: each
// gets a precise status, nothing is half-written, and the process keeps
// serving (the health check passes after the barrage).
func TestE2EAPIRefusesBadRequests(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 10, TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	// A second caller allowed only for another tenant.
	otherToken := "e2e-other-tenant-token"
	body, err := os.ReadFile(c.tokens)
	require.NoError(t, err)
	body = append(body, fmt.Sprintf("  - name: tenant-b-admin\n    sha256: %s\n    tenants: [\"%s\"]\n",
		grpcx.HashToken(otherToken), "11111111-2222-3333-4444-555555555555")...)
	require.NoError(t, os.WriteFile(c.tokens, body, 0o600))
	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, mirror.Scope{AllUsers: true}.Rules())
	good, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	before := good.GetConfiguration()

	huge := strings.Repeat("x", 2<<20)
	badRules, _ := structpb.NewStruct(map[string]any{"scope": "Everyone", "users": map[string]any{"scopingFilters": "nope"}})
	noSource := c.configuration(mirror.Scope{AllUsers: true}.Rules())
	noSource.Source = nil
	badInterval := c.configuration(mirror.Scope{AllUsers: true}.Rules())
	badInterval.ScheduleInterval = durationpb.New(time.Minute)
	badSecretRef := c.configuration(mirror.Scope{AllUsers: true}.Rules())
	badSecretRef.Target.CredentialRef = "vault:" + huge[:300]
	staleEtag := c.configuration(mirror.Scope{AllUsers: true}.Rules())
	staleEtag.Id, staleEtag.Etag = cfgID, "stale"

	cases := []struct {
		name string
		call func() error
		code codes.Code
		// field the message must name
		field string
	}{
		{"create without configuration", func() error {
			_, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{})
			return err
		}, codes.InvalidArgument, "configuration"},
		{"create without source", func() error {
			_, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: noSource})
			return err
		}, codes.InvalidArgument, "source"},
		{"create with bad rules", func() error {
			_, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: c.configuration(badRules)})
			return err
		}, codes.InvalidArgument, "rules"},
		{"create with a one-minute schedule", func() error {
			_, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: badInterval})
			return err
		}, codes.InvalidArgument, "schedule_interval"},
		{"create with an oversized credential ref", func() error {
			_, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: badSecretRef})
			return err
		}, codes.InvalidArgument, "credential_ref"},
		{"get without id", func() error {
			_, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{})
			return err
		}, codes.InvalidArgument, "configuration_id"},
		{"get an unknown id", func() error {
			_, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: "01hzzzzzzzzzzzzzzzzzzzzzzz"})
			return err
		}, codes.NotFound, ""},
		{"get a malformed id", func() error {
			_, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: "../../etc/passwd'"})
			return err
		}, codes.InvalidArgument, "configuration_id"},
		{"get an oversized id", func() error {
			_, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: huge[:4096]})
			return err
		}, codes.InvalidArgument, "configuration_id"},
		{"list with a forged page token", func() error {
			_, err := c.sched.ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{PageToken: "not-a-token"})
			return err
		}, codes.InvalidArgument, "page_token"},
		{"update with a stale etag", func() error {
			_, err := c.sched.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{Configuration: staleEtag,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
			return err
		}, codes.Aborted, ""},
		{"update an unknown field", func() error {
			u := c.configuration(mirror.Scope{AllUsers: true}.Rules())
			u.Id, u.Etag = cfgID, before.GetEtag()
			_, err := c.sched.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{Configuration: u,
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"no_such_field"}}})
			return err
		}, codes.InvalidArgument, "update_mask"},
		{"delete without id", func() error {
			_, err := c.sched.DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{})
			return err
		}, codes.InvalidArgument, "configuration_id"},
		{"start an unknown job", func() error {
			_, err := c.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: "01hzzzzzzzzzzzzzzzzzzzzzzz"})
			return err
		}, codes.NotFound, ""},
		{"pause a job that never ran", func() error {
			_, err := c.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID})
			return err
		}, codes.FailedPrecondition, ""},
		{"on demand without objects", func() error {
			_, err := c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID})
			return err
		}, codes.InvalidArgument, "objects"},
		{"on demand of six objects", func() error {
			var objs []*commonv1.ObjectRef
			for i := range 6 {
				objs = append(objs, &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i)})
			}
			_, err := c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID, Objects: objs})
			return err
		}, codes.InvalidArgument, "objects"},
		{"on demand of an object without type", func() error {
			_, err := c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID,
				Objects: []*commonv1.ObjectRef{{ObjectId: "00000000-0000-0000-0000-000000000001"}}})
			return err
		}, codes.InvalidArgument, "type"},
		{"on demand of an id that breaks out of OData", func() error {
			_, err := c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID,
				Objects: []*commonv1.ObjectRef{{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: "x' or 1 eq 1"}}})
			return err
		}, codes.InvalidArgument, "object_id"},
		{"evaluate an empty expression", func() error {
			_, err := c.sched.EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{})
			return err
		}, codes.InvalidArgument, "expression"},
		{"evaluate a malformed expression", func() error {
			_, err := c.sched.EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{Expression: `Join(",", [a]`})
			return err
		}, codes.InvalidArgument, "expression"},
		{"evaluate an oversized expression", func() error {
			_, err := c.sched.EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{Expression: huge})
			return err
		}, codes.InvalidArgument, "expression"},
		{"test connection without anything", func() error {
			_, err := c.sched.TestConnection(ctx, &schedulerv1.TestConnectionRequest{})
			return err
		}, codes.InvalidArgument, "configuration"},
		{"logs with a reversed time range", func() error {
			now := time.Now()
			_, err := c.logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{
				ConfigurationId: cfgID, StartTime: tsOf(now), EndTime: tsOf(now.Add(-time.Hour))}})
			return err
		}, codes.InvalidArgument, "time"},
		{"logs with a page size over the limit", func() error {
			_, err := c.logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{
				Filter: &synclogv1.LogFilter{ConfigurationId: cfgID}, PageSize: 100000})
			return err
		}, codes.InvalidArgument, "page_size"},
		{"logs without configuration", func() error {
			_, err := c.logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{})
			return err
		}, codes.InvalidArgument, "configuration_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			st := status.Convert(err)
			require.Equal(t, tc.code, st.Code(), "status: %v", st.Message())
			if tc.field != "" {
				require.Contains(t, strings.ToLower(st.Message()), tc.field, "the message names the field")
			}
		})
	}

	// Nothing half-written: the configuration is as it was.
	after, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	require.Equal(t, before.GetEtag(), after.GetConfiguration().GetEtag())
	list, err := c.sched.ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetConfigurations(), 1, "no configuration was created by a refused request")

	// Another tenant's caller sees nothing and can change nothing.
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: c.addrs["all"], Token: otherToken})
	require.NoError(t, err)
	defer conn.Close()
	other := schedulerv1.NewSchedulerServiceClient(conn)
	_, err = other.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID})
	require.Contains(t, []codes.Code{codes.NotFound, codes.PermissionDenied}, status.Code(err), "%v", err)
	_, err = other.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cfgID})
	require.Contains(t, []codes.Code{codes.NotFound, codes.PermissionDenied}, status.Code(err), "%v", err)
	_, err = other.DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: cfgID, Etag: before.GetEtag()})
	require.Contains(t, []codes.Code{codes.NotFound, codes.PermissionDenied}, status.Code(err), "%v", err)
	ol, err := other.ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{})
	require.NoError(t, err)
	require.Empty(t, ol.GetConfigurations(), "a caller sees only its tenants' configurations")
	_, err = synclogv1.NewSynclogServiceClient(conn).ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{
		Filter: &synclogv1.LogFilter{ConfigurationId: cfgID}})
	require.Contains(t, []codes.Code{codes.NotFound, codes.PermissionDenied}, status.Code(err), "%v", err)

	// No token, a wrong token.
	for _, tok := range []string{"", "wrong"} {
		cc, err := grpcx.Dial(grpcx.ClientConfig{Target: c.addrs["all"], Token: tok})
		require.NoError(t, err)
		_, err = schedulerv1.NewSchedulerServiceClient(cc).ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{})
		require.Equal(t, codes.Unauthenticated, status.Code(err), "token %q: %v", tok, err)
		_ = cc.Close()
	}
	require.NoError(t, probe(ctx, c.addrs["all"]), "still serving after the barrage")
}

func tsOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
