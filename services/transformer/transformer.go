package transformer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// errInvalidID marks an id that can never be stored; the batch is
// dead-lettered.
var errInvalidID = errors.New("transformer: invalid id")

// Deps are the transformer's collaborators.
type Deps struct {
	Rules RulesResolver
	// Connectors is the connector data store (read only here; the writer
	// persists entries).
	Connectors redisx.ConnectorStore
	// Redis holds the transformer's own state: assigned-group members and
	// per-cycle deletion counts.
	Redis redis.UniversalClient
	// JetStream is needed by Run and ReleaseHeld; Transform works without.
	JetStream jetstream.JetStream

	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Now is the clock for changes without observed_at; default time.Now.
	Now func() time.Time
}

// Transformer turns SourceChangeBatches into IntentBatches (see doc.go).
type Transformer struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	tracer  trace.Tracer
	m       *metrics
	members *AssignedMembers
	guard   *DeletionGuard
	revisit *Revisits
	groups  *CycleGroups
	refs    *CycleRefs
	sets    *redisx.MemberSets
	needs   needs // what each configuration's rules read of the source JSON
	// afterPublish, set by tests, runs between WaitAll and the ack: the
	// place a crash makes JetStream redeliver an already published batch.
	afterPublish func(ctx context.Context, msgID string) error
}

// New checks cfg and deps and returns a Transformer.
func New(cfg Config, deps Deps) (*Transformer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("transformer config: %w", err)
	}
	var errs []error
	if deps.Rules == nil {
		errs = append(errs, errors.New("rules resolver is required"))
	}
	if deps.Connectors == nil {
		errs = append(errs, errors.New("connector store is required"))
	}
	if deps.Redis == nil {
		errs = append(errs, errors.New("redis client is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("transformer deps: %w", err)
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.TracerProvider == nil {
		deps.TracerProvider = otel.GetTracerProvider()
	}
	if deps.MeterProvider == nil {
		deps.MeterProvider = otel.GetMeterProvider()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	m, err := newMetrics(deps.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Transformer{
		cfg:     cfg,
		deps:    deps,
		log:     deps.Logger.With("service", "transformer"),
		tracer:  deps.TracerProvider.Tracer(instrumentationName),
		m:       m,
		members: NewAssignedMembers(deps.Redis),
		guard:   NewDeletionGuard(deps.Redis, cfg.CycleStateTTL),
		revisit: NewRevisits(deps.Redis),
		groups:  NewCycleGroups(deps.Redis, cfg.CycleStateTTL),
		refs:    NewCycleRefs(deps.Redis, cfg.CycleStateTTL),
		sets:    redisx.NewMemberSets(deps.Redis),
	}, nil
}
