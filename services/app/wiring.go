package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redisproc"
	"github.com/xtsync/xtsync/services/scheduler"
)

// Module names: the five targets and the shared modules they need.
const (
	ModNATS        = "nats"
	ModRedis       = "redis"
	ModTopology    = "topology"
	ModConfigs     = "configs"
	ModGRPC        = "grpc"
	ModScheduler   = "scheduler"
	ModReader      = "reader"
	ModTransformer = "transformer"
	ModWriter      = "writer"
	ModSynclog     = "synclog"
)

// Options are what a caller of New passes besides the Config.
type Options struct {
	Logger *slog.Logger
	// GraphHTTPClient is the base transport of every Graph client (the
	// demo passes graphsim's); nil builds one from Config.GraphCAFile.
	GraphHTTPClient *http.Client
	// SpanExporter, when set, receives every span synchronously, all
	// sampled (tests); the OTLP exporter is configured by Config.Tracing.
	SpanExporter sdktrace.SpanExporter
	// SetGlobals installs this process's providers as the OTel globals
	// (otelgrpc, kiota read only those). The binary sets it; tests that
	// run several Apps in one process do not.
	SetGlobals bool
}

// App is one xtsync process: the registry of its modules and the state
// they share once initialised (set by the modules' Init, in dependency
// order, so a module reads only what its dependencies set).
type App struct {
	cfg    Config
	opts   Options
	obs    observability
	log    *slog.Logger
	http   *http.Client
	reg    *Registry
	runner *Runner

	nc      *nats.Conn
	js      jetstream.JetStream
	rdb     *redis.Client
	configs *Configs
	grpc    *grpcx.Server
	grpcLis net.Listener
	grpcOn  atomic.Pointer[string]
}

// New validates cfg and registers the modules; it starts nothing.
func New(cfg Config, o Options) (*App, error) {
	cfg.normalize()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &App{cfg: cfg, opts: o, log: o.Logger, http: o.GraphHTTPClient, reg: NewRegistry()}
	if a.http == nil && cfg.GraphCAFile != "" {
		hc, err := httpClientWithCA(cfg.GraphCAFile)
		if err != nil {
			return nil, err
		}
		a.http = hc
	}
	a.register()
	a.runner = &Runner{Registry: a.reg, Logger: o.Logger}
	return a, nil
}

// Registry is the module graph (for -list-targets).
func (a *App) Registry() *Registry { return a.reg }

// Run runs targets until ctx ends or a module fails (see Runner.Run).
func (a *App) Run(ctx context.Context, targets []string) error {
	a.obs.service = serviceName(targets)
	return a.runner.Run(ctx, targets)
}

// Ready reports whether every module of the run has started.
func (a *App) Ready() bool { return a.runner.Ready() }

// GRPCAddr is the address the gRPC server listens on ("" before the grpc
// module started): with -grpc.listen-addr 127.0.0.1:0, the port picked.
func (a *App) GRPCAddr() string {
	if p := a.grpcOn.Load(); p != nil {
		return *p
	}
	return ""
}

// Redis is the process's Redis client (nil before the redis module
// started): the demo reads cycle progress through it.
func (a *App) Redis() redis.UniversalClient { return a.rdb }

func (a *App) register() {
	a.registerObservability()
	obs := []string{ModHTTP}
	a.reg.Register(Module{Name: ModNATS, Deps: obs, Init: a.initNATS})
	a.reg.Register(Module{Name: ModRedis, Deps: obs, Init: a.initRedis})
	a.reg.Register(Module{Name: ModTopology, Deps: []string{ModNATS}, Init: a.initTopology})
	a.reg.Register(Module{Name: ModConfigs, Deps: []string{ModRedis}, Init: a.initConfigs})
	a.reg.Register(Module{Name: ModGRPC, Deps: obs, Init: a.initGRPC})
	common := []string{ModTopology, ModRedis, ModConfigs, ModObserve}
	a.reg.Register(Module{Name: ModScheduler, Target: true, Deps: append([]string{ModGRPC}, common...), Init: a.initScheduler})
	a.reg.Register(Module{Name: ModReader, Target: true, Deps: common, Init: a.initReader})
	a.reg.Register(Module{Name: ModTransformer, Target: true, Deps: common, Init: a.initTransformer})
	a.reg.Register(Module{Name: ModWriter, Target: true, Deps: common, Init: a.initWriter})
	a.reg.Register(Module{Name: ModSynclog, Target: true, Deps: append([]string{ModGRPC}, common...), Init: a.initSynclog})
}

func (a *App) initNATS(ctx context.Context) (Service, error) {
	var emb *natsx.Embedded
	cfg := a.cfg.NATS
	if a.cfg.embeddedNATS() {
		var err error
		emb, err = natsx.StartEmbedded(natsx.EmbeddedConfig{
			StoreDir: filepath.Join(a.cfg.DataDir, "jetstream"), SyncAlways: a.cfg.NATSSyncAlways,
		})
		if err != nil {
			return nil, err
		}
		cfg.URL = emb.ClientURL()
		a.log.Info("embedded nats-server started", "url", cfg.URL, "store", filepath.Join(a.cfg.DataDir, "jetstream"))
	}
	nc, err := natsx.Connect(cfg, a.log)
	if err == nil {
		a.js, err = natsx.NewJetStream(nc)
	}
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		if emb != nil {
			emb.Shutdown()
		}
		return nil, err
	}
	a.nc = nc
	return ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		// Drain flushes what the services published last.
		_ = nc.Drain()
		for !nc.IsClosed() {
			time.Sleep(10 * time.Millisecond)
		}
		if emb != nil {
			emb.Shutdown()
		}
		return nil
	}), nil
}

func (a *App) initRedis(ctx context.Context) (Service, error) {
	cfg := a.cfg.Redis
	var proc *redisproc.Process
	if a.cfg.embeddedRedis() {
		var err error
		proc, err = StartRedis(ctx, a.cfg.RedisServer, filepath.Join(a.cfg.DataDir, "redis"))
		if err != nil {
			return nil, err
		}
		cfg.Addr = proc.Addr
		a.log.Info("embedded redis-server started", "addr", proc.Addr, "dir", filepath.Join(a.cfg.DataDir, "redis"))
	}
	rdb, err := redisx.NewClient(cfg, a.tracerProvider())
	if err == nil {
		err = rdb.Ping(ctx).Err()
		if err != nil {
			_ = rdb.Close()
			err = fmt.Errorf("redis %s: %w", cfg.Addr, err)
		}
	}
	if err != nil {
		if proc != nil {
			proc.Stop()
		}
		return nil, err
	}
	a.rdb = rdb
	return ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		_ = rdb.Close()
		if proc != nil {
			proc.Stop()
		}
		return nil
	}), nil
}

func (a *App) initTopology(ctx context.Context) (Service, error) {
	err := retryUntil(ctx, topologyPatience, a.log, "JetStream topology", func(ctx context.Context) error {
		return natsx.EnsureTopology(ctx, a.js, a.cfg.Topology)
	})
	return nil, err
}

// topologyPatience is how long a starting process keeps trying to set up
// the streams: NATS restarting during a rollout must not make every
// service that starts meanwhile exit (nothing would retry it).
const topologyPatience = 2 * time.Minute

// retryUntil calls op until it succeeds, ctx ends or patience runs out,
// waiting 250ms doubling to 5s between attempts.
func retryUntil(ctx context.Context, patience time.Duration, log *slog.Logger, what string, op func(context.Context) error) error {
	deadline := time.Now().Add(patience)
	wait := 250 * time.Millisecond
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: %w", what, err)
		}
		log.WarnContext(ctx, what+" not ready; retrying", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (a *App) initConfigs(context.Context) (Service, error) {
	a.configs = NewConfigs(scheduler.NewStore(a.rdb), a.http, a.cfg.GraphTimeout)
	return ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		a.configs.Close()
		return nil
	}), nil
}

// initGRPC listens at once (a taken port fails the start) but serves only
// once every module is running: services register on the server in their
// Init, and grpc-go refuses registrations after Serve.
func (a *App) initGRPC(ctx context.Context) (Service, error) {
	srv, err := grpcx.NewServer(a.cfg.GRPC, a.log)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", a.cfg.GRPC.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("grpc: listen %s: %w", a.cfg.GRPC.ListenAddr, err)
	}
	a.grpc, a.grpcLis = srv, lis
	addr := lis.Addr().String()
	return ServiceFunc(func(ctx context.Context) error {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for !a.runner.Ready() {
			select {
			case <-ctx.Done():
				_ = lis.Close()
				return nil
			case <-t.C:
			}
		}
		a.grpcOn.Store(&addr)
		return srv.Serve(ctx, lis)
	}), nil
}

func httpClientWithCA(file string) (*http.Client, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("graph.ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("graph.ca-file %s: no PEM certificate", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}
