package app

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/telemetry"
	"github.com/xtsync/xtsync/services/reader"
	"github.com/xtsync/xtsync/services/scheduler"
	"github.com/xtsync/xtsync/services/synclog"
	"github.com/xtsync/xtsync/services/transformer"
	"github.com/xtsync/xtsync/services/writer"
)

// Config is the configuration of the xtsync binary: the shared
// infrastructure (NATS, Redis, gRPC, Graph transport) and every service.
// Empty -nats.url and -redis.addr select the embedded all-in-one parts
// (nats-server in process, a redis-server child), both bound to loopback
// with their data under DataDir.
type Config struct {
	// DataDir holds the embedded JetStream store, the redis-server data
	// (append-only file) and, without a tokens file, nothing else.
	DataDir string `yaml:"data_dir"`

	NATS natsx.Config `yaml:"nats"`
	// NATSSyncAlways fsyncs every JetStream write of the embedded server
	// (see docs/architecture.md: the default fsync every 2 minutes can
	// lose acknowledged work on power loss).
	NATSSyncAlways bool                 `yaml:"nats_sync_always"`
	Topology       natsx.TopologyConfig `yaml:"topology"`

	Redis redisx.Config `yaml:"redis"`
	// RedisServer is the redis-server executable of the embedded default.
	RedisServer string `yaml:"redis_server"`

	GRPC grpcx.Config `yaml:"grpc"`

	// GraphCAFile adds PEM CAs trusted for Graph and the authority (a
	// graphsim started with -ca-file, a TLS-inspecting proxy).
	GraphCAFile string `yaml:"graph_ca_file"`
	// GraphTimeout bounds one Graph request including SDK retries.
	GraphTimeout time.Duration `yaml:"graph_timeout"`

	// Tracing is the OTLP export and sampling (docs/observability.md).
	Tracing telemetry.Config `yaml:"tracing"`
	// HTTPListenAddr serves /metrics, /live and /ready; empty: none.
	HTTPListenAddr string `yaml:"http_listen_addr"`
	// HTTPPprof also serves net/http/pprof under /debug/pprof/ there.
	HTTPPprof bool `yaml:"http_pprof"`
	// MetricsPoll is how often queue lag, escrows and quarantines are
	// read for /metrics.
	MetricsPoll time.Duration `yaml:"metrics_poll"`
	// MemoryLimit is the Go runtime's soft memory limit: "auto" (GOMEMLIMIT
	// if set, else 90% of the container's limit, else 1GiB), a size, or
	// "off". cmd/xtsync applies it (ApplyMemoryLimit).
	MemoryLimit string `yaml:"memory_limit"`

	Scheduler   scheduler.Config   `yaml:"scheduler"`
	Reader      reader.Config      `yaml:"reader"`
	Transformer transformer.Config `yaml:"transformer"`
	Writer      writer.Config      `yaml:"writer"`
	Synclog     synclog.Config     `yaml:"synclog"`
}

// RegisterFlags registers every flag of the binary on f, each service's
// under its own prefix ("reader.", "writer.", ...).
func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.StringVar(&c.DataDir, "data-dir", "xtsync-data", "Directory of the embedded JetStream store and redis-server data.")
	c.NATS.RegisterFlags("nats.", f)
	// No URL means the embedded server: the all-in-one default.
	setDefault(f, "nats.url", "", "NATS server URLs, comma-separated; empty runs nats-server with JetStream in this process.")
	f.BoolVar(&c.NATSSyncAlways, "nats.embedded.sync-always", true, "Embedded JetStream fsyncs every write before acknowledging it.")
	c.Topology.RegisterFlags("nats.topology.", f)
	c.Redis.RegisterFlags("redis.", f)
	setDefault(f, "redis.addr", "", "Redis host:port; empty starts a redis-server child process on loopback (append-only file in -data-dir).")
	f.StringVar(&c.RedisServer, "redis.server-path", "redis-server", "redis-server executable for the embedded default.")
	c.GRPC.RegisterFlags("grpc.", f)
	f.StringVar(&c.GraphCAFile, "graph.ca-file", "", "Extra PEM CAs trusted for Graph and the authority (graphsim, proxies).")
	f.DurationVar(&c.GraphTimeout, "graph.timeout", 100*time.Second, "Bound on one Graph request including SDK retries.")
	c.Tracing.RegisterFlags("tracing.", f)
	f.StringVar(&c.HTTPListenAddr, "http.listen-addr", DefaultHTTPListenAddr, "Address of /metrics, /live and /ready; empty serves none.")
	f.BoolVar(&c.HTTPPprof, "http.pprof", false, "Also serve Go profiles (net/http/pprof) under /debug/pprof/ on -http.listen-addr.")
	f.DurationVar(&c.MetricsPoll, "metrics.poll-interval", 15*time.Second, "How often queue lag, escrows and quarantines are read for /metrics.")
	f.StringVar(&c.MemoryLimit, "memory.limit", MemoryLimitAuto, "Soft memory limit of the Go runtime (GC works harder near it): auto = GOMEMLIMIT if set, else 90% of the container (cgroup) limit, else 1GiB; or a size (900MiB, 2GiB), or off.")
	c.Scheduler.RegisterFlags("scheduler.", f)
	c.Reader.RegisterFlags("reader.", f)
	c.Transformer.RegisterFlags("transformer.", f)
	c.Writer.RegisterFlags("writer.", f)
	// Empty means every intent shard: one writer serves the all-in-one.
	c.Writer.Shards = nil
	setDefault(f, "writer.shards", "", "Comma-separated intent shards this replica consumes (empty: all).")
	c.Synclog.RegisterFlags("synclog.", f)
}

// setDefault changes a registered flag's value and documented default.
func setDefault(f *flag.FlagSet, name, value, usage string) {
	fl := f.Lookup(name)
	if fl == nil {
		panic("app: no flag " + name) // a programming error caught by every test
	}
	_ = fl.Value.Set(value)
	fl.DefValue = value
	fl.Usage = usage
}

// Embedded reports whether NATS and Redis run inside this process (child).
func (c Config) embeddedNATS() bool  { return c.NATS.URL == "" }
func (c Config) embeddedRedis() bool { return c.Redis.Addr == "" }

// normalize fills the values derived from others: a writer without shards
// serves every intent shard.
func (c *Config) normalize() {
	if len(c.Writer.Shards) == 0 {
		for i := range c.Topology.IntentShards {
			c.Writer.Shards = append(c.Writer.Shards, i)
		}
	}
}

// Validate reports every problem of every section at once.
func (c Config) Validate() error {
	c.normalize()
	var errs []error
	if (c.embeddedNATS() || c.embeddedRedis()) && c.DataDir == "" {
		errs = append(errs, errors.New("data-dir is required for the embedded NATS and Redis"))
	}
	if !c.embeddedNATS() {
		errs = append(errs, c.NATS.Validate())
	}
	if !c.embeddedRedis() {
		errs = append(errs, c.Redis.Validate())
	}
	if c.GraphTimeout <= 0 {
		errs = append(errs, fmt.Errorf("graph.timeout %s must be positive", c.GraphTimeout))
	}
	if c.MetricsPoll <= 0 {
		errs = append(errs, fmt.Errorf("metrics.poll-interval %s must be positive", c.MetricsPoll))
	}
	if _, err := ResolveMemoryLimit(c.MemoryLimit, "", ""); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Tracing.Validate(), c.Topology.Validate(), c.GRPC.Validate(), c.Scheduler.Validate(),
		c.Reader.Validate(), c.Transformer.Validate(), c.Writer.Validate(), c.Synclog.Validate())
	// The shard counts are one fact told to four places; a mismatch sends
	// work to subjects nobody consumes.
	t := c.Topology
	if c.Reader.Shards != t.ChangeShards {
		errs = append(errs, fmt.Errorf("reader.shards %d must equal nats.topology.change-shards %d", c.Reader.Shards, t.ChangeShards))
	}
	if c.Transformer.ChangeShards != t.ChangeShards || c.Transformer.IntentShards != t.IntentShards {
		errs = append(errs, fmt.Errorf("transformer.change-shards/intent-shards %d/%d must equal the topology's %d/%d",
			c.Transformer.ChangeShards, c.Transformer.IntentShards, t.ChangeShards, t.IntentShards))
	}
	for _, s := range c.Writer.Shards {
		if s >= t.IntentShards {
			errs = append(errs, fmt.Errorf("writer.shards: %d is outside [0, %d)", s, t.IntentShards))
		}
	}
	return errors.Join(errs...)
}
