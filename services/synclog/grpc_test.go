package synclog_test

import (
	"context"
	"net"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// client serves the service on an in-memory listener through a real gRPC
// server and returns a client whose calls carry tenants as the caller's
// principal.
func (e *env) client(tenants ...string) synclogv1.SynclogServiceClient {
	e.t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	synclogv1.RegisterSynclogServiceServer(srv, e.svc)
	go func() { _ = srv.Serve(lis) }()
	e.t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(withTenants(ctx, tenants), method, req, reply, cc, opts...)
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(withTenants(ctx, tenants), desc, cc, method, opts...)
		}))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = conn.Close() })
	return synclogv1.NewSynclogServiceClient(conn)
}

func withTenants(ctx context.Context, tenants []string) context.Context {
	if len(tenants) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, pairs(tenants)...)
}
