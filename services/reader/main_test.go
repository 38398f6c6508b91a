package reader_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/reader"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testCfg = "cfg1"

// clock is graphsim's settable time, so a test can age a delta link past
// Graph's retention without sleeping.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// env is one source tenant in graphsim (through the real adapter), an
// embedded JetStream with the xtsync topology, a real redis-server, and a
// Reader over them.
type env struct {
	t       *testing.T
	sim     *graphsim.Server
	tenant  *graphsim.Tenant
	clock   *clock
	client  *graph.Client // the reader's source, also used to mutate it
	sources *reader.StaticSources
	js      jetstream.JetStream
	wm      redisx.WatermarkStore
	cfg     reader.Config
	reader  *reader.Reader
	// revisits, when set before newReader, is the reader's revisit set.
	revisits reader.Revisits
	// groups, when set before newReader, turns on the groups provisioning round.
	groups reader.CycleGroups
	// refs, when set before newReader, turns on the references round.
	refs reader.CycleReferences
	// rules, when set before newReader, chooses the users $select.
	rules reader.RulesResolver
	topo  natsx.TopologyConfig
}

type envOpts struct {
	users, groups int
	pageSize      int
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{}}

	simCtx, cancel := context.WithCancel(context.Background())
	spec := graphsim.TenantSpec{Seed: 7, Users: o.users, Groups: o.groups,
		Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}}
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{spec}, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, sim.Close())
	})
	e.sim, e.tenant = sim, sim.Tenants()[0]
	e.client = e.newClient()
	e.sources = reader.NewStaticSources(map[string]graph.Source{testCfg: e.client})

	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := natsx.Connect(natsx.Config{URL: srv.ClientURL(), Name: t.Name()}, nil)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	e.js, err = natsx.NewJetStream(nc)
	require.NoError(t, err)
	e.topo = natsx.DefaultTopologyConfig()
	e.topo.ChangeShards, e.topo.IntentShards = 4, 1
	e.topo.WorkMaxBytes, e.topo.LogMaxBytes = 256<<20, 64<<20
	e.topo.Cycles = natsx.ConsumerTuning{AckWait: 5 * time.Second, MaxDeliver: -1, MaxAckPending: 64}
	require.NoError(t, natsx.EnsureTopology(ctxT(t), e.js, e.topo))

	rs := redistest.Start(t, redistest.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	e.wm = redisx.NewWatermarks(rdb)

	e.cfg = reader.DefaultConfig()
	e.cfg.Shards = e.topo.ChangeShards
	e.cfg.PageSize = o.pageSize
	e.cfg.InProgress = time.Second
	// No transformer runs here; TestGroupsBarrier and TestEndBarrier drain.
	e.cfg.GroupsBarrier, e.cfg.EndBarrier = false, false
	e.reader = e.newReader()
	return e
}

func (e *env) newClient() *graph.Client {
	info := e.tenant.Info()
	c, err := graph.New(context.Background(), graph.Config{
		TenantID: info.ID, ClientID: info.ClientID, ClientSecret: graph.Secret(info.ClientSecret),
		AuthorityURL: e.sim.AuthorityURL(), GraphURL: e.sim.GraphURL(), HTTPClient: e.sim.HTTPClient(),
	})
	require.NoError(e.t, err)
	e.t.Cleanup(c.Close)
	return c
}

func (e *env) newReader() *reader.Reader {
	r, err := reader.New(e.cfg, reader.Deps{
		Sources: e.sources, JetStream: e.js, Watermarks: e.wm, Revisits: e.revisits, Groups: e.groups, References: e.refs,
		Rules: e.rules, Logger: testLogger(e.t),
	})
	require.NoError(e.t, err)
	return r
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes to the test log with -v, and nowhere otherwise.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() || os.Getenv("READER_TEST_LOGS") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
