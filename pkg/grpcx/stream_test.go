package grpcx_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
)

// fakeTail streams one entry naming the caller, for the tenant in the
// filter's configuration id; an empty id panics.
type fakeTail struct {
	synclogv1.UnimplementedSynclogServiceServer
}

func (fakeTail) TailProvisioningLogs(req *synclogv1.TailProvisioningLogsRequest, ss grpc.ServerStreamingServer[synclogv1.TailProvisioningLogsResponse]) error {
	tenant := req.GetFilter().GetConfigurationId()
	if tenant == "" {
		panic("no tenant")
	}
	if err := grpcx.Authorize(ss.Context(), tenant); err != nil {
		return err
	}
	p, _ := grpcx.PrincipalFrom(ss.Context())
	return ss.Send(&synclogv1.TailProvisioningLogsResponse{Entry: &eventsv1.ProvisioningLogEntry{EntryId: p.Name}})
}

func TestStreamAuth(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv, err := grpcx.NewServer(grpcx.Config{ListenAddr: lis.Addr().String(), NoAuth: true}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	synclogv1.RegisterSynclogServiceServer(srv, fakeTail{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, lis) }()
	defer func() {
		stop()
		require.NoError(t, <-done)
	}()
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: lis.Addr().String()})
	require.NoError(t, err)
	defer conn.Close()
	c := synclogv1.NewSynclogServiceClient(conn)

	st, err := c.TailProvisioningLogs(ctx, &synclogv1.TailProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: tenantB}})
	require.NoError(t, err)
	msg, err := st.Recv()
	require.NoError(t, err)
	require.Equal(t, "anonymous", msg.GetEntry().GetEntryId(), "no-auth callers are anonymous admins")

	st, err = c.TailProvisioningLogs(ctx, &synclogv1.TailProvisioningLogsRequest{})
	require.NoError(t, err)
	_, err = st.Recv()
	require.Equal(t, codes.Internal, status.Code(err), "a panicking stream handler is recovered")
}
