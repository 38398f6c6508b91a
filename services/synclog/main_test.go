package synclog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/synclog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	cfgID        = "cfg1"
	sourceTenant = "11111111-1111-1111-1111-111111111111"
	targetTenant = "22222222-2222-2222-2222-222222222222"
)

// env is an embedded JetStream server with the xtsync topology, a real
// redis-server and a running log service.
type env struct {
	t    testing.TB
	nc   *nats.Conn
	js   jetstream.JetStream
	rdb  *redis.Client
	esc  *redisx.Escrows
	quar *redisx.Quarantines
	svc  *synclog.Service
	pub  *natsx.Publisher
	cfg  synclog.Config
	deps synclog.Deps
	stop func()
}

func newEnv(t testing.TB, mutate ...func(*synclog.Config)) *env {
	t.Helper()
	return newEnvDeps(t, nil, mutate...)
}

// newEnvDeps lets a test wrap the service's dependencies (fault injection).
func newEnvDeps(t testing.TB, deps func(*synclog.Deps), mutate ...func(*synclog.Config)) *env {
	t.Helper()
	return newEnvServer(t, natsx.EmbeddedConfig{StoreDir: t.TempDir()}, deps, mutate...)
}

// newEnvServer runs the environment on an embedded server configured by ec
// (benchmarks: SyncAlways, as deployed).
func newEnvServer(t testing.TB, ec natsx.EmbeddedConfig, deps func(*synclog.Deps), mutate ...func(*synclog.Config)) *env {
	t.Helper()
	srv, err := natsx.StartEmbedded(ec)
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := natsx.Connect(natsx.Config{URL: srv.ClientURL(), Name: t.Name(), ReconnectWait: 50 * time.Millisecond, MaxReconnects: -1}, nil)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := natsx.NewJetStream(nc)
	require.NoError(t, err)
	topo := natsx.DefaultTopologyConfig()
	topo.ChangeShards, topo.IntentShards = 1, 1
	topo.DuplicateWindow = 2 * time.Minute
	topo.WorkMaxBytes, topo.LogMaxBytes = 64<<20, 256<<20
	topo.Synclog = natsx.ConsumerTuning{AckWait: 2 * time.Second, MaxDeliver: 20, MaxAckPending: 256}
	topo.Cycles = topo.Synclog
	// A writer that never acks dead-letters its message after one delivery.
	topo.Writer = natsx.ConsumerTuning{AckWait: time.Second, MaxDeliver: 1, MaxAckPending: 16}
	require.NoError(t, natsx.EnsureTopology(ctxT(t), js, topo))

	rs := redistest.Start(t, redistest.Options{})
	rdb := rs.Client(t)
	e := &env{t: t, nc: nc, js: js, rdb: rdb, esc: redisx.NewEscrows(rdb),
		quar: redisx.NewQuarantines(rdb, redisx.QuarantinePolicy{}), cfg: synclog.DefaultConfig()}
	e.cfg.DrainTimeout = 5 * time.Second
	for _, m := range mutate {
		m(&e.cfg)
	}
	e.deps = synclog.Deps{
		JetStream: js, Redis: rdb, Escrows: e.esc, Quarantines: e.quar,
		Tenants: synclog.StaticTenants{cfgID: {sourceTenant, targetTenant}, "cfg2": {"other-src", "other-tgt"}},
		Auth:    metadataAuth{},
	}
	if deps != nil {
		deps(&e.deps)
	}
	e.svc, err = synclog.New(e.cfg, e.deps)
	require.NoError(t, err)
	e.pub, err = natsx.NewPublisher(js, natsx.PublisherOptions{})
	require.NoError(t, err)
	e.start()
	return e
}

// start runs the service until the test ends (or stop is called).
func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	var stopped bool
	e.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(e.t, <-done)
		}
	}
	e.t.Cleanup(e.stop)
}

// metadataAuth admits a caller to the tenants listed in its "x-tenants"
// metadata: the stand-in for pkg/grpcx's token principal.
type metadataAuth struct{}

func (metadataAuth) Authorize(ctx context.Context, tenantIDs ...string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	allowed := map[string]bool{}
	for _, t := range md.Get("x-tenants") {
		allowed[t] = true
	}
	if len(allowed) == 0 {
		return status.Error(codes.Unauthenticated, "no principal")
	}
	for _, t := range tenantIDs {
		if allowed[t] {
			return nil
		}
	}
	return status.Error(codes.PermissionDenied, "tenant not allowed")
}

func pairs(tenants []string) []string {
	var out []string
	for _, t := range tenants {
		out = append(out, "x-tenants", t)
	}
	return out
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// outcome builds a user outcome; code "" and ok=true is a plain success.
func outcome(cycle string, i int, action eventsv1.WriteAction, ok bool, code string) *eventsv1.WriteOutcome {
	o := &eventsv1.WriteOutcome{
		IntentId: fmt.Sprintf("%s/src-%05d/x", cycle, i), ConfigurationId: cfgID, CycleId: cycle,
		Source:         &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, TenantId: sourceTenant, ObjectId: fmt.Sprintf("src-%05d", i)},
		TargetObjectId: fmt.Sprintf("tgt-%05d", i), Action: action, Success: ok, Attempts: 1,
		FinishedAt: timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)),
	}
	if code != "" {
		o.Error = &commonv1.ErrorDetail{Code: code, Message: "because " + code}
	}
	return o
}

// publishBatch publishes outcomes as one OutcomeBatch with msgID.
func (e *env) publishBatch(cfg, cycle, msgID string, outs ...*eventsv1.WriteOutcome) {
	e.t.Helper()
	e.publishBatchCtx(ctxT(e.t), cfg, cycle, msgID, outs...)
}

// publishBatchCtx publishes with ctx's trace context.
func (e *env) publishBatchCtx(ctx context.Context, cfg, cycle, msgID string, outs ...*eventsv1.WriteOutcome) {
	e.t.Helper()
	subj, err := natsx.OutcomeSubject(cfg)
	require.NoError(e.t, err)
	require.NoError(e.t, e.pub.Publish(ctx, subj, &eventsv1.OutcomeBatch{ConfigurationId: cfg, CycleId: cycle, Outcomes: outs}, msgID))
	require.NoError(e.t, e.pub.WaitAll(ctxT(e.t)))
}

func (e *env) publishCycle(cfg, verb, id string, msg proto.Message) {
	e.t.Helper()
	subj, err := natsx.CycleSubject(cfg, verb)
	require.NoError(e.t, err)
	require.NoError(e.t, e.pub.Publish(ctxT(e.t), subj, msg, id))
	require.NoError(e.t, e.pub.WaitAll(ctxT(e.t)))
}

func (e *env) startCycle(cycle string) {
	e.publishCycle(cfgID, natsx.CycleVerbStart, cycle+"/start", &eventsv1.CycleStart{
		ConfigurationId: cfgID, CycleId: cycle, Mode: eventsv1.CycleMode_CYCLE_MODE_FULL, RequestedAt: timestamppb.Now()})
}

func (e *env) endCycle(cycle string, changes int64) {
	e.publishCycle(cfgID, natsx.CycleVerbEnd, cycle+"/end", &eventsv1.CycleEnd{
		ConfigurationId: cfgID, CycleId: cycle, ChangesPublished: changes, FinishedAt: timestamppb.Now()})
}

// logCount is the number of entries stored on xtsync.logs.<cfg>.<cycle>.
func (e *env) logCount(cfg, cycle string) uint64 {
	var n uint64
	for _, b := range e.logBatches(cfg, cycle) {
		n += uint64(len(b.GetEntries()))
	}
	return n
}

// logBatches reads the messages stored on xtsync.logs.<cfg>.<cycle>.
func (e *env) logBatches(cfg, cycle string) []*eventsv1.ProvisioningLogBatch {
	e.t.Helper()
	s, err := e.js.Stream(ctxT(e.t), natsx.StreamLogs)
	require.NoError(e.t, err)
	subj, err := natsx.LogSubject(cfg, cycle)
	require.NoError(e.t, err)
	info, err := s.Info(ctxT(e.t), jetstream.WithSubjectFilter(subj))
	require.NoError(e.t, err)
	want := int(info.State.Subjects[subj])
	if want == 0 {
		return nil
	}
	c, err := e.js.OrderedConsumer(ctxT(e.t), natsx.StreamLogs, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	require.NoError(e.t, err)
	var out []*eventsv1.ProvisioningLogBatch
	for len(out) < want {
		batch, err := c.Fetch(want-len(out), jetstream.FetchMaxWait(5*time.Second))
		require.NoError(e.t, err)
		got := 0
		for m := range batch.Messages() {
			var b eventsv1.ProvisioningLogBatch
			require.NoError(e.t, proto.Unmarshal(m.Data(), &b))
			out = append(out, &b)
			got++
		}
		require.NotZero(e.t, got, "read %d of %d log messages", len(out), want)
	}
	return out
}

// progress waits until cond holds for the cycle's progress and returns it.
func (e *env) progress(cycle string, cond func(synclog.Progress) bool) synclog.Progress {
	e.t.Helper()
	return e.progressWithin(cycle, 30*time.Second, cond)
}

// progressWithin is progress with another bound (benchmarks).
func (e *env) progressWithin(cycle string, wait time.Duration, cond func(synclog.Progress) bool) synclog.Progress {
	e.t.Helper()
	r := synclog.NewProgressReader(e.rdb)
	var p synclog.Progress
	require.Eventually(e.t, func() bool {
		var err error
		p, err = r.Cycle(context.Background(), cfgID, cycle)
		return err == nil && cond(p)
	}, wait, 20*time.Millisecond, "cycle %s: last progress %+v", cycle, p)
	return p
}

const (
	defaultWait = 30 * time.Second
	tick        = 20 * time.Millisecond
)

// quarantine waits until cond holds for the configuration's quarantine.
func (e *env) quarantine(cond func(redisx.Quarantine, error) bool) redisx.Quarantine {
	e.t.Helper()
	var q redisx.Quarantine
	require.Eventually(e.t, func() bool {
		var err error
		q, err = e.quar.Get(context.Background(), cfgID)
		return cond(q, err)
	}, defaultWait, tick)
	return q
}
