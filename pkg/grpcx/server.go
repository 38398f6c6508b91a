package grpcx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Server is the gRPC server of one process. Services register on it
// (it is a grpc.ServiceRegistrar) before Serve.
type Server struct {
	cfg    Config
	log    *slog.Logger
	grpc   *grpc.Server
	health *health.Server
}

var _ grpc.ServiceRegistrar = (*Server)(nil)

// NewServer builds the server from cfg: tokens loaded, interceptors,
// health, reflection and otelgrpc in place. extra options come last
// (tests add their own stats handler, say).
func NewServer(cfg Config, logger *slog.Logger, extra ...grpc.ServerOption) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "grpc")
	auth := &authenticator{}
	if cfg.NoAuth {
		auth.anonymous = &Principal{Name: "anonymous", Tenants: []string{AllTenants}}
	} else {
		tokens, err := LoadTokens(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		auth.tokens = tokens
	}
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		// Logging outermost so it sees the code recovery and auth produced.
		grpc.ChainUnaryInterceptor(logUnary(logger), recoverUnary(logger), auth.unary),
		grpc.ChainStreamInterceptor(logStream(logger), recoverStream(logger), auth.stream),
	}
	if cfg.MaxRecvBytes > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(cfg.MaxRecvBytes))
	}
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("grpcx: load TLS key pair: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		})))
	}
	opts = append(opts, extra...)
	s := &Server{cfg: cfg, log: logger, grpc: grpc.NewServer(opts...), health: health.NewServer()}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s, nil
}

// RegisterService implements grpc.ServiceRegistrar. A registered service
// reports NOT_SERVING until SetServing(name, true).
func (s *Server) RegisterService(desc *grpc.ServiceDesc, impl any) {
	s.grpc.RegisterService(desc, impl)
	s.health.SetServingStatus(desc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
}

// SetServing sets the health status of one service name ("" is the whole
// process).
func (s *Server) SetServing(service string, serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(service, st)
}

// Run listens on cfg.ListenAddr and serves until ctx ends (see Serve).
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", s.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("grpcx: listen %s: %w", s.cfg.ListenAddr, err)
	}
	return s.Serve(ctx, lis)
}

// Serve serves on lis until ctx ends, then drains: every service goes
// NOT_SERVING (load balancers stop sending), running calls get up to
// ShutdownTimeout to finish, the rest are cancelled. It returns nil after a
// drain and the error of a failed listener otherwise.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	s.log.InfoContext(ctx, "grpc serving", "addr", lis.Addr().String())
	done := make(chan error, 1)
	go func() { done <- s.grpc.Serve(lis) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("grpcx: serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timeout := s.cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		s.log.Warn("grpc graceful stop timed out; cancelling running calls", "timeout", timeout)
		s.grpc.Stop()
		<-stopped
	}
	<-done
	return nil
}
