package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// Log keys.
const (
	keyConfiguration = "configuration_id"
	keyCycle         = "cycle_id"
)

// LeaderName is the leader lease of the scheduler replicas.
const LeaderName = "scheduler"

// Deps are what a Scheduler works with.
type Deps struct {
	Redis       redis.UniversalClient
	JetStream   jetstream.JetStream
	Leases      redisx.Leases
	Quarantines redisx.QuarantineStore
	Watermarks  redisx.WatermarkStore
	Escrows     redisx.EscrowStore
	// Connectors, when set, is dropped with a deleted configuration.
	Connectors redisx.ConnectorStore
	// Graph connects to a tenant for TestConnection; default NewGraph.
	Graph GraphFactory
	// GraphHTTPClient is the base transport of the default factory
	// (custom CA for graphsim, proxies).
	GraphHTTPClient *http.Client
	// Logs, when set, lets ProvisionOnDemand wait for the outcomes.
	Logs LogQuerier
	// Now is the clock (tests inject one); default time.Now.
	Now           func() time.Time
	Logger        *slog.Logger
	MeterProvider metric.MeterProvider
	// TracerProvider traces cycles: each starts a new trace that the
	// other services continue from the JetStream headers. Default global.
	TracerProvider trace.TracerProvider
}

// Scheduler is the scheduler service: the SchedulerService gRPC server
// and, on the leader replica, the schedule.
type Scheduler struct {
	schedulerv1.UnimplementedSchedulerServiceServer

	cfg    Config
	deps   Deps
	log    *slog.Logger
	tracer trace.Tracer
	store  *Store
	jobs   *Jobs

	mu      sync.Mutex
	leading bool
}

// New checks cfg and deps; it starts nothing.
func New(cfg Config, deps Deps) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Redis == nil || deps.JetStream == nil || deps.Leases == nil || deps.Quarantines == nil ||
		deps.Watermarks == nil || deps.Escrows == nil {
		return nil, errors.New("scheduler: Redis, JetStream, Leases, Quarantines, Watermarks and Escrows are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Graph == nil {
		deps.Graph = NewGraph(deps.GraphHTTPClient)
	}
	if deps.TracerProvider == nil {
		deps.TracerProvider = otel.GetTracerProvider()
	}
	return &Scheduler{
		cfg: cfg, deps: deps, log: deps.Logger.With("service", "scheduler"),
		tracer: deps.TracerProvider.Tracer("github.com/xtsync/xtsync/services/scheduler"),
		store:  NewStore(deps.Redis), jobs: &Jobs{rdb: deps.Redis},
	}, nil
}

// Store is the configuration store, for the services (reader, transformer)
// that resolve a configuration in the same process.
func (s *Scheduler) Store() *Store { return s.store }

func (s *Scheduler) now() time.Time { return s.deps.Now().UTC() }

// Leading reports whether this replica holds the leader lease now.
func (s *Scheduler) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

func (s *Scheduler) setLeading(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading = v
}

// Run consumes cycle ends and competes for the leader lease until ctx
// ends; it returns nil after a graceful stop. The gRPC API is served by the
// process's grpcx.Server (Register), not by Run.
func (s *Scheduler) Run(ctx context.Context) error {
	cons, err := s.deps.JetStream.Consumer(ctx, natsStreamCycles, natsConsumerScheduler)
	if err != nil {
		return fmt.Errorf("scheduler: cycles consumer: %w", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- s.consumeEnds(ctx, cons) }()
	go func() { errc <- s.lead(ctx) }()
	var errs []error
	for range 2 {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
