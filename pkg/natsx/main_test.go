package natsx_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is one real embedded JetStream server with the xtsync topology.
type env struct {
	t   testing.TB
	dir string
	srv *natsx.Embedded
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg natsx.TopologyConfig

	syncAlways bool
}

// testTopology is small and quick to redeliver: 2 shards, 1s ack waits.
func testTopology() natsx.TopologyConfig {
	cfg := natsx.DefaultTopologyConfig()
	cfg.ChangeShards, cfg.IntentShards = 2, 2
	cfg.DuplicateWindow = 2 * time.Minute
	cfg.WorkMaxBytes, cfg.LogMaxBytes = 64<<20, 64<<20
	fast := natsx.ConsumerTuning{AckWait: time.Second, MaxDeliver: 5, MaxAckPending: 256}
	cfg.Cycles, cfg.Transformer, cfg.Writer, cfg.Synclog = fast, fast, fast, fast
	return cfg
}

func newEnv(t testing.TB, mutate ...func(*natsx.TopologyConfig)) *env {
	t.Helper()
	return newEnvSync(t, true, mutate...)
}

// newEnvSync chooses whether the server fsyncs every write (SyncAlways, what
// deployments run) or JetStream's default interval.
func newEnvSync(t testing.TB, syncAlways bool, mutate ...func(*natsx.TopologyConfig)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), cfg: testTopology(), syncAlways: syncAlways}
	for _, m := range mutate {
		m(&e.cfg)
	}
	e.start(0)
	e.nc = e.connect()
	js, err := natsx.NewJetStream(e.nc)
	require.NoError(t, err)
	e.js = js
	require.NoError(t, natsx.EnsureTopology(ctxT(t), e.js, e.cfg))
	return e
}

// start (re)starts the server on the same store; port 0 picks one.
func (e *env) start(port int) {
	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: e.dir, Port: port, SyncAlways: e.syncAlways})
	require.NoError(e.t, err)
	e.srv = srv
	e.t.Cleanup(func() {
		if e.srv == srv {
			srv.Shutdown()
		}
	})
}

func (e *env) port() int {
	u, err := url.Parse(e.srv.ClientURL())
	require.NoError(e.t, err)
	p, err := strconv.Atoi(u.Port())
	require.NoError(e.t, err)
	return p
}

// restart stops the server and starts it again on the same port and store.
func (e *env) restart() {
	port := e.port()
	e.srv.Shutdown()
	e.start(port)
}

func (e *env) connect() *nats.Conn {
	nc, err := natsx.Connect(natsx.Config{
		URL: e.srv.ClientURL(), Name: e.t.Name(),
		ReconnectWait: 50 * time.Millisecond, MaxReconnects: -1,
	}, nil)
	require.NoError(e.t, err)
	e.t.Cleanup(nc.Close)
	return nc
}

func (e *env) consumer(stream, name string) jetstream.Consumer {
	c, err := e.js.Consumer(ctxT(e.t), stream, name)
	require.NoError(e.t, err)
	return c
}

func (e *env) publisher(opts natsx.PublisherOptions) *natsx.Publisher {
	p, err := natsx.NewPublisher(e.js, opts)
	require.NoError(e.t, err)
	return p
}

func (e *env) streamMsgs(name string) uint64 {
	s, err := e.js.Stream(ctxT(e.t), name)
	require.NoError(e.t, err)
	info, err := s.Info(ctxT(e.t))
	require.NoError(e.t, err)
	return info.State.Msgs
}

// ctxT is a test context with a deadline well under go test's.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runConsume runs natsx.Consume in the background; stop cancels it and
// returns its error.
func runConsume(t testing.TB, c jetstream.Consumer, h natsx.Handler, opts natsx.ConsumeOptions) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- natsx.Consume(ctx, c, h, opts) }()
	var stopped bool
	var err error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
