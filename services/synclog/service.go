package synclog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// ConfigTenants resolves a configuration to its tenants, for authorization.
// The scheduler's configuration store implements it; StaticTenants is the
// test and single-tenant implementation. An unknown configuration returns
// an error wrapping ErrUnknownConfiguration.
type ConfigTenants interface {
	ConfigTenants(ctx context.Context, cfgID string) (source, target string, err error)
}

// ErrUnknownConfiguration: ConfigTenants knows no such configuration.
var ErrUnknownConfiguration = errors.New("synclog: unknown configuration")

// Authorizer admits the caller in ctx to the given tenants: nil, or a gRPC
// status error (Unauthenticated, PermissionDenied). pkg/grpcx.Authorize
// fits it through AuthorizerFunc.
type Authorizer interface {
	Authorize(ctx context.Context, tenantIDs ...string) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, tenantIDs ...string) error

// Authorize implements Authorizer.
func (f AuthorizerFunc) Authorize(ctx context.Context, tenantIDs ...string) error {
	return f(ctx, tenantIDs...)
}

// Deps are the service's collaborators; JetStream, Redis, Escrows,
// Quarantines, Tenants and Auth are required.
type Deps struct {
	JetStream   jetstream.JetStream
	Redis       redis.UniversalClient
	Escrows     redisx.EscrowStore
	Quarantines redisx.QuarantineStore
	Tenants     ConfigTenants
	Auth        Authorizer

	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Now is the clock; tests may fix it.
	Now func() time.Time
}

// Service is the log service: the outcome and cycle consumers (Run) and the
// SynclogService gRPC server (it implements synclogv1.SynclogServiceServer).
type Service struct {
	synclogv1.UnimplementedSynclogServiceServer

	cfg    Config
	d      Deps
	log    *slog.Logger
	tracer trace.Tracer
	m      *metrics
	c      *counters
	locks  stripes

	limitMu  sync.Mutex
	logLimit int // logMsgLimit, once read

	stopOnce sync.Once
	stopping chan struct{} // closed when Run's context ends: tails return
}

var _ synclogv1.SynclogServiceServer = (*Service)(nil)

// New checks cfg and deps and returns the service.
func New(cfg Config, d Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.JetStream == nil || d.Redis == nil || d.Escrows == nil || d.Quarantines == nil || d.Tenants == nil || d.Auth == nil {
		return nil, errors.New("synclog: JetStream, Redis, Escrows, Quarantines, Tenants and Auth are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.TracerProvider == nil {
		d.TracerProvider = otel.GetTracerProvider()
	}
	if d.MeterProvider == nil {
		d.MeterProvider = otel.GetMeterProvider()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	m, err := newMetrics(d.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("synclog: metrics: %w", err)
	}
	return &Service{
		cfg: cfg, d: d, log: d.Logger, tracer: d.TracerProvider.Tracer(instrumentationName), m: m,
		c:        &counters{rdb: d.Redis, cycleTTL: cfg.CycleTTL, seenTTL: cfg.SeenTTL},
		stopping: make(chan struct{}),
	}, nil
}

// Run consumes outcomes, cycle events and dead letters until ctx ends, then drains: the
// batches in flight finish (up to DrainTimeout), pulled but unstarted ones
// are nak'ed for another replica, open tails end. A message is acked only
// after its entries are stored and counted, so a rollout loses nothing.
func (s *Service) Run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.stop()
	}()
	defer s.stop()
	outcomes, err := s.d.JetStream.Consumer(ctx, natsx.StreamOutcomes, natsx.ConsumerSynclogOutcomes)
	if ctx.Err() != nil {
		return nil // stopped while starting: nothing was consumed
	}
	if err != nil {
		return fmt.Errorf("synclog: open %s: %w", natsx.ConsumerSynclogOutcomes, err)
	}
	cycles, err := s.d.JetStream.Consumer(ctx, natsx.StreamCycles, natsx.ConsumerSynclogCycles)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("synclog: open %s: %w", natsx.ConsumerSynclogCycles, err)
	}
	dead, err := s.d.JetStream.Consumer(ctx, natsx.StreamDeadLetters, natsx.ConsumerDeadLetters)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("synclog: open %s: %w", natsx.ConsumerDeadLetters, err)
	}
	opts := natsx.ConsumeOptions{
		DrainTimeout: s.cfg.DrainTimeout, Logger: s.log,
		TracerProvider: s.d.TracerProvider, MeterProvider: s.d.MeterProvider,
	}
	var wg sync.WaitGroup
	var errOut, errCyc, errDead error
	wg.Go(func() {
		o := opts
		o.Concurrency = s.cfg.Concurrency
		errOut = natsx.Consume(ctx, outcomes, s.handleOutcomes, o)
	})
	wg.Go(func() { errCyc = natsx.Consume(ctx, cycles, s.handleCycle, opts) })
	wg.Go(func() {
		errDead = natsx.Consume(ctx, dead, natsx.DeadLetterHandler(s.d.JetStream, s.deadLetter), opts)
	})
	wg.Wait()
	return errors.Join(errOut, errCyc, errDead)
}

func (s *Service) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }
