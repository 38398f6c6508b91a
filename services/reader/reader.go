package reader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// Deps are what a Reader works with.
type Deps struct {
	Sources SourceResolver
	// JetStream publishes changes and cycle ends (one natsx.Publisher per
	// cycle, see cycle.run) and consumes cycle commands.
	JetStream  jetstream.JetStream
	Watermarks redisx.WatermarkStore
	// Revisits, when set, adds the transformer's revisit set to every
	// delta cycle.
	Revisits Revisits
	// Groups, when set, makes the groups round a scope pass and adds the
	// groups provisioning round after the users are written (cycle.run).
	Groups CycleGroups
	// References, when set, adds the references round after the users are
	// written: the users whose manager was not written yet when they were
	// decided get it in the same cycle (references.go).
	References CycleReferences
	// Members, when set, stores the members of groups longer than
	// redisx.InlineMembers; the changes carry the set's id (member_set).
	// Without it every list goes inline, and a group of more than ~25,000
	// members exceeds NATS's max payload.
	Members *redisx.MemberSets
	// Rules, when set, chooses each configuration's users $select from its
	// user mappings (UserSelectFor): manager only where it is mapped.
	// Without it every configuration reads user_select.
	Rules RulesResolver
	// Logger defaults to slog.Default(); providers default to no-ops.
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Reader is the reader service: it turns CycleStart commands into source
// reads. Safe for concurrent use; at most one cycle per configuration runs
// in one Reader at a time.
type Reader struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	tracer trace.Tracer
	m      *metrics

	mu      sync.Mutex
	running map[string]*running // by configuration id
	stopped *stopSet            // stops that arrived before their start
}

type running struct {
	cycleID string
	cancel  context.CancelCauseFunc
}

// New checks cfg and deps and returns a Reader; it starts nothing.
func New(cfg Config, deps Deps) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Sources == nil || deps.JetStream == nil || deps.Watermarks == nil {
		return nil, errors.New("reader: Sources, JetStream and Watermarks are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.TracerProvider == nil {
		deps.TracerProvider = tracenoop.NewTracerProvider()
	}
	if deps.MeterProvider == nil {
		deps.MeterProvider = metricnoop.NewMeterProvider()
	}
	m, err := newMetrics(deps.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("reader: metrics: %w", err)
	}
	return &Reader{
		cfg: cfg, deps: deps, m: m,
		log:     deps.Logger.With("service", "reader"),
		tracer:  deps.TracerProvider.Tracer(instrumentationName),
		running: map[string]*running{},
		stopped: newStopSet(1024),
	}, nil
}

// register claims the configuration for cycleID; false if it is taken.
func (r *Reader) register(cfgID, cycleID string, cancel context.CancelCauseFunc) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, busy := r.running[cfgID]; busy {
		return false
	}
	r.running[cfgID] = &running{cycleID: cycleID, cancel: cancel}
	return true
}

func (r *Reader) unregister(cfgID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, cfgID)
}

// Running returns the id of the cycle of cfgID running here, or "".
func (r *Reader) Running(cfgID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.running[cfgID]; c != nil {
		return c.cycleID
	}
	return ""
}

func (r *Reader) runningCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

// Stop abandons the cycle cycleID of cfgID (any cycle of it when cycleID
// is empty) and reports whether one was running here. A stop for a cycle
// not running here is remembered, so a start of it arriving later is
// skipped instead of run.
func (r *Reader) Stop(cfgID, cycleID, reason string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.running[cfgID]
	if c == nil || (cycleID != "" && c.cycleID != cycleID) {
		if cycleID != "" {
			r.stopped.add(cfgID + "/" + cycleID)
		}
		return false
	}
	c.cancel(fmt.Errorf("%w: %s", ErrCycleStopped, reason))
	return true
}

// wasStopped reports (and forgets) a stop that arrived before its start.
func (r *Reader) wasStopped(cfgID, cycleID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped.take(cfgID + "/" + cycleID)
}

// stopSet is a bounded set, oldest entries evicted first.
type stopSet struct {
	max   int
	order []string
	set   map[string]bool
}

func newStopSet(max int) *stopSet { return &stopSet{max: max, set: map[string]bool{}} }

func (s *stopSet) add(k string) {
	if s.set[k] {
		return
	}
	if len(s.order) == s.max {
		delete(s.set, s.order[0])
		s.order = s.order[1:]
	}
	s.order = append(s.order, k)
	s.set[k] = true
}

func (s *stopSet) take(k string) bool {
	if !s.set[k] {
		return false
	}
	delete(s.set, k)
	return true
}
