package scheduler_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/scheduler"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Tenants of the tests; tokens: token-a (tenant A), token-b (tenant B),
// token-admin (every tenant).
const (
	tenantA = "aaaaaaaa-0000-4000-8000-000000000001"
	tenantB = "bbbbbbbb-0000-4000-8000-000000000002"
	tenantC = "cccccccc-0000-4000-8000-000000000003"
	tenantD = "dddddddd-0000-4000-8000-000000000004"
	appID   = "11111111-2222-4333-8444-555555555555"
)

// fakeClock is the scheduler's injectable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a real redis-server, an embedded JetStream with the xtsync
// topology, and schedulers behind a real gRPC server on loopback.
type env struct {
	t     *testing.T
	rdb   *redis.Client
	js    jetstream.JetStream
	clock *fakeClock
	addr  string
	sched *scheduler.Scheduler
	deps  scheduler.Deps
	cfg   scheduler.Config
}

type envOpt func(*scheduler.Deps)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, clock: &fakeClock{now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}}
	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := natsx.Connect(natsx.Config{URL: srv.ClientURL(), Name: t.Name()}, nil)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	e.js, err = natsx.NewJetStream(nc)
	require.NoError(t, err)
	topo := natsx.DefaultTopologyConfig()
	topo.ChangeShards, topo.IntentShards = 1, 1
	topo.WorkMaxBytes, topo.LogMaxBytes = 64<<20, 64<<20
	require.NoError(t, natsx.EnsureTopology(ctxT(t), e.js, topo))

	rs := redistest.Start(t, redistest.Options{})
	e.rdb = redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = e.rdb.Close() })

	e.deps = scheduler.Deps{
		Redis: e.rdb, JetStream: e.js, Leases: redisx.NewLeases(e.rdb),
		Quarantines: redisx.NewQuarantines(e.rdb, redisx.QuarantinePolicy{}),
		Watermarks:  redisx.NewWatermarks(e.rdb), Escrows: redisx.NewEscrows(e.rdb),
		Now: e.clock.Now, Logger: testLogger(t),
	}
	for _, o := range opts {
		o(&e.deps)
	}
	e.cfg = scheduler.DefaultConfig()
	e.cfg.Tick, e.cfg.LeaderTTL = 20*time.Millisecond, 300*time.Millisecond
	e.sched = e.newScheduler()
	e.addr = e.serve(e.sched)
	return e
}

func (e *env) newScheduler() *scheduler.Scheduler {
	s, err := scheduler.New(e.cfg, e.deps)
	require.NoError(e.t, err)
	return s
}

// serve runs a grpcx server for s on a loopback port until the test ends.
func (e *env) serve(s *scheduler.Scheduler) string {
	t := e.t
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	body := "tokens:\n" +
		"  - {name: portal-a, sha256: " + grpcx.HashToken("token-a") + ", tenants: [" + tenantA + "]}\n" +
		"  - {name: portal-b, sha256: " + grpcx.HashToken("token-b") + ", tenants: [" + tenantB + "]}\n" +
		"  - {name: sre, sha256: " + grpcx.HashToken("token-admin") + ", tenants: [\"*\"]}\n"
	require.NoError(t, os.WriteFile(tokens, []byte(body), 0o600))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv, err := grpcx.NewServer(grpcx.Config{ListenAddr: lis.Addr().String(), TokensFile: tokens, ShutdownTimeout: 5 * time.Second}, testLogger(t))
	require.NoError(t, err)
	s.Register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return lis.Addr().String()
}

// run runs s (cycle-end consumer and leader loop) until the test ends.
func (e *env) run(s *scheduler.Scheduler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		require.NoError(e.t, <-done)
	})
}

func (e *env) client(token string) schedulerv1.SchedulerServiceClient {
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: e.addr, Token: token})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = conn.Close() })
	return schedulerv1.NewSchedulerServiceClient(conn)
}

func (e *env) admin() schedulerv1.SchedulerServiceClient { return e.client("token-admin") }

// validConfig is a configuration from src to tgt with minimal rules.
func validConfig(src, tgt string) *schedulerv1.Configuration {
	rules, _ := structpb.NewStruct(map[string]any{"assignments": map[string]any{"groups": []any{"g-collab"}}})
	return &schedulerv1.Configuration{
		DisplayName: "test " + src[:4] + " to " + tgt[:4],
		Source:      &commonv1.TenantRef{TenantId: src, ClientId: appID, CredentialRef: "env:XTSYNC_SOURCE_SECRET"},
		Target:      &commonv1.TenantRef{TenantId: tgt, ClientId: appID, CredentialRef: "file:/run/secrets/target"},
		Rules:       rules,
	}
}

func (e *env) create(c *schedulerv1.Configuration) *schedulerv1.Configuration {
	e.t.Helper()
	resp, err := e.admin().CreateConfiguration(ctxT(e.t), &schedulerv1.CreateConfigurationRequest{Configuration: c})
	require.NoError(e.t, err)
	return resp.GetConfiguration()
}

func (e *env) createInterval(src, tgt string, iv time.Duration) *schedulerv1.Configuration {
	c := validConfig(src, tgt)
	c.ScheduleInterval = durationpb.New(iv)
	return e.create(c)
}

func (e *env) job(id string) *schedulerv1.Job {
	e.t.Helper()
	resp, err := e.admin().GetJob(ctxT(e.t), &schedulerv1.GetJobRequest{ConfigurationId: id})
	require.NoError(e.t, err)
	return resp.GetJob()
}

// cycleMsgs reads every message on xtsync.cycles.<cfg>.<verb> from the
// stream (nobody consumes them in these tests, so they stay).
func (e *env) cycleMsgs(cfg, verb string) []*natsMsg {
	e.t.Helper()
	ctx := ctxT(e.t)
	s, err := e.js.Stream(ctx, natsx.StreamCycles)
	require.NoError(e.t, err)
	info, err := s.Info(ctx)
	require.NoError(e.t, err)
	subj, err := natsx.CycleSubject(cfg, verb)
	require.NoError(e.t, err)
	var out []*natsMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		require.NoError(e.t, err)
		if m.Subject == subj {
			out = append(out, &natsMsg{id: m.Header.Get(natsx.HeaderMsgID), data: m.Data})
		}
	}
	return out
}

type natsMsg struct {
	id   string
	data []byte
}

func (e *env) starts(cfg string) []*eventsv1.CycleStart {
	var out []*eventsv1.CycleStart
	for _, m := range e.cycleMsgs(cfg, natsx.CycleVerbStart) {
		var s eventsv1.CycleStart
		require.NoError(e.t, proto.Unmarshal(m.data, &s))
		require.Equal(e.t, s.GetCycleId()+"/start", m.id)
		out = append(out, &s)
	}
	return out
}

func (e *env) stops(cfg string) []*eventsv1.CycleStop {
	var out []*eventsv1.CycleStop
	for _, m := range e.cycleMsgs(cfg, natsx.CycleVerbStop) {
		var s eventsv1.CycleStop
		require.NoError(e.t, proto.Unmarshal(m.data, &s))
		out = append(out, &s)
	}
	return out
}

// endCycle publishes the reader's CycleEnd for a cycle.
func (e *env) endCycle(cfg, cycle string) {
	e.t.Helper()
	subj, err := natsx.CycleSubject(cfg, natsx.CycleVerbEnd)
	require.NoError(e.t, err)
	p, err := natsx.NewPublisher(e.js, natsx.PublisherOptions{})
	require.NoError(e.t, err)
	ctx := ctxT(e.t)
	require.NoError(e.t, p.Publish(ctx, subj, &eventsv1.CycleEnd{ConfigurationId: cfg, CycleId: cycle, FinishedAt: timestamppb.New(e.clock.Now())}, cycle+"/end"))
	require.NoError(e.t, p.WaitAll(ctx))
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("SCHEDULER_TEST_LOGS") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func structpbStruct(m map[string]any) (*structpb.Struct, error) { return structpb.NewStruct(m) }
