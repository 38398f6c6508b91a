package grpcx_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/rules"
)

const (
	tenantA = "aaaaaaaa-0000-0000-0000-000000000001"
	tenantB = "bbbbbbbb-0000-0000-0000-000000000002"
)

// fakeScheduler treats a configuration id as the tenant it belongs to, and
// panics on EvaluateExpression.
type fakeScheduler struct {
	schedulerv1.UnimplementedSchedulerServiceServer
}

func (fakeScheduler) GetConfiguration(ctx context.Context, req *schedulerv1.GetConfigurationRequest) (*schedulerv1.GetConfigurationResponse, error) {
	if err := grpcx.Authorize(ctx, req.GetConfigurationId()); err != nil {
		return nil, err
	}
	p, _ := grpcx.PrincipalFrom(ctx)
	return &schedulerv1.GetConfigurationResponse{Configuration: &schedulerv1.Configuration{Id: req.GetConfigurationId(), UpdatedBy: p.Name}}, nil
}

func (fakeScheduler) EvaluateExpression(context.Context, *schedulerv1.EvaluateExpressionRequest) (*schedulerv1.EvaluateExpressionResponse, error) {
	var m map[string]int
	m["boom"] = 1 // nil map write: a real panic
	return nil, nil
}

func (fakeScheduler) CreateConfiguration(context.Context, *schedulerv1.CreateConfigurationRequest) (*schedulerv1.CreateConfigurationResponse, error) {
	var fe rules.FieldErrors
	fe.Addf(rules.Required, "source.tenant_id", "required")
	fe.Addf(rules.InvalidValue, "schedule_interval", "below 5m")
	return nil, grpcx.InvalidArgument("configuration", fe)
}

type fixture struct {
	addr string
}

func start(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.yaml")
	body := "tokens:\n" +
		"  - name: portal-a\n    sha256: " + grpcx.HashToken("token-a") + "\n    tenants: [" + tenantA + "]\n" +
		"  - name: sre\n    sha256: " + grpcx.HashToken("token-admin") + "\n    tenants: [\"*\"]\n"
	require.NoError(t, os.WriteFile(tokens, []byte(body), 0o600))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := grpcx.Config{ListenAddr: lis.Addr().String(), TokensFile: tokens, ShutdownTimeout: 5 * time.Second}
	srv, err := grpcx.NewServer(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	schedulerv1.RegisterSchedulerServiceServer(srv, fakeScheduler{})
	synclogv1.RegisterSynclogServiceServer(srv, fakeTail{})
	srv.SetServing(schedulerv1.SchedulerService_ServiceDesc.ServiceName, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return &fixture{addr: lis.Addr().String()}
}

func (f *fixture) client(t *testing.T, token string) (schedulerv1.SchedulerServiceClient, *grpc.ClientConn) {
	t.Helper()
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: f.addr, Token: token})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return schedulerv1.NewSchedulerServiceClient(conn), conn
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name, token, tenant string
		want                codes.Code
		caller              string
	}{
		{"no token", "", tenantA, codes.Unauthenticated, ""},
		{"wrong token", "token-x", tenantA, codes.Unauthenticated, ""},
		{"tenant A token on tenant A", "token-a", tenantA, codes.OK, "portal-a"},
		{"tenant A token on tenant B", "token-a", tenantB, codes.PermissionDenied, ""},
		{"admin on tenant B", "token-admin", tenantB, codes.OK, "sre"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := f.client(t, tc.token)
			resp, err := c.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: tc.tenant})
			require.Equal(t, tc.want, status.Code(err), "%v", err)
			if tc.want == codes.OK {
				require.Equal(t, tc.caller, resp.GetConfiguration().GetUpdatedBy())
			}
		})
	}
}

func TestHealthIsOpen(t *testing.T) {
	t.Parallel()
	f := start(t)
	_, conn := f.client(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := healthpb.NewHealthClient(conn)
	resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: schedulerv1.SchedulerService_ServiceDesc.ServiceName})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	_, err = h.Check(ctx, &healthpb.HealthCheckRequest{Service: "xtsync.nope.v1.Nope"})
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	f := start(t)
	c, _ := f.client(t, "token-admin")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{})
	require.Equal(t, codes.Internal, status.Code(err))
	// The process and the server are still there.
	_, err = c.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: tenantA})
	require.NoError(t, err)
}

func TestInvalidArgumentListsEveryField(t *testing.T) {
	t.Parallel()
	f := start(t)
	c, _ := f.client(t, "token-admin")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	v := grpcx.FieldViolations(err)
	require.Len(t, v, 2)
	require.Equal(t, "configuration.source.tenant_id", v[0].GetField())
	require.Equal(t, "required [Required]", v[0].GetDescription())
	require.Equal(t, "configuration.schedule_interval", v[1].GetField())
}

func TestDialRefusesPlaintextOffLoopback(t *testing.T) {
	t.Parallel()
	_, err := grpcx.Dial(grpcx.ClientConfig{Target: "10.1.2.3:9095", Token: "x"})
	require.ErrorContains(t, err, "plaintext")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, grpcx.Config{ListenAddr: "127.0.0.1:1", NoAuth: true}.Validate())
	require.ErrorContains(t, grpcx.Config{ListenAddr: "0.0.0.0:1", NoAuth: true}.Validate(), "loopback")
	require.ErrorContains(t, grpcx.Config{ListenAddr: "127.0.0.1:1"}.Validate(), "tokens file")
	require.ErrorContains(t, grpcx.Config{ListenAddr: ":1", TokensFile: "t"}.Validate(), "plaintext")
}

func TestTokensRejectBadEntries(t *testing.T) {
	t.Parallel()
	_, err := grpcx.NewTokens([]grpcx.TokenEntry{
		{Name: "", SHA256: "raw-token", Tenants: nil},
		{Name: "a", SHA256: grpcx.HashToken("t"), Tenants: []string{"x"}},
		{Name: "a", SHA256: grpcx.HashToken("u"), Tenants: []string{""}},
	})
	require.ErrorContains(t, err, "tokens[0].name")
	require.ErrorContains(t, err, "tokens[0].sha256")
	require.ErrorContains(t, err, "tokens[0].tenants")
	require.ErrorContains(t, err, "tokens[2].name")
	require.ErrorContains(t, err, "tokens[2].tenants[0]")
	tok, err := grpcx.NewTokens([]grpcx.TokenEntry{{Name: "a", SHA256: grpcx.HashToken("t"), Tenants: []string{"x"}}})
	require.NoError(t, err)
	p, ok := tok.Verify("t")
	require.True(t, ok)
	require.Equal(t, "a", p.Name)
	_, ok = tok.Verify("")
	require.False(t, ok)
}

func TestStreamAuthWithTokens(t *testing.T) {
	t.Parallel()
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		token, tenant string
		want          codes.Code
	}{
		{"", tenantA, codes.Unauthenticated},
		{"token-a", tenantB, codes.PermissionDenied},
		{"token-a", tenantA, codes.OK},
		{"token-admin", tenantB, codes.OK},
	} {
		_, conn := f.client(t, tc.token)
		st, err := synclogv1.NewSynclogServiceClient(conn).TailProvisioningLogs(ctx,
			&synclogv1.TailProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: tc.tenant}})
		require.NoError(t, err)
		_, err = st.Recv()
		require.Equal(t, tc.want, status.Code(err), "%s on %s: %v", tc.token, tc.tenant, err)
	}
}
