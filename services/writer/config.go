package writer

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// Config is the writer's configuration.
type Config struct {
	// Shards are the intent shards this replica consumes (writer-shard-<k>).
	// Without pinned consumers run each shard on exactly one replica.
	Shards []int `yaml:"shards"`
	// Concurrency is how many IntentBatch messages this process applies at
	// once over all its shards: one limit per process (natsx.Slots), not
	// per shard, so N writer processes keep N times the $batch calls in
	// flight and a process's load does not grow with its shard count.
	Concurrency int `yaml:"concurrency"`
	// PerTenant caps the IntentBatches of one target tenant among them, so
	// a slow (throttled, distant) tenant cannot take every slot of the
	// process; 0 means three quarters of Concurrency (at least 1).
	PerTenant int `yaml:"per_tenant"`
	// BatchCalls is how many $batch calls one IntentBatch keeps in flight.
	BatchCalls int `yaml:"batch_calls"`
	// BatchSize is the number of requests per Graph $batch (1..20).
	BatchSize int `yaml:"batch_size"`
	// WritesPerMinute is the default per-target-tenant write budget shared
	// by all writer replicas (Graph: 2,000 per app per tenant).
	WritesPerMinute int `yaml:"writes_per_minute"`
	// WriteBurst is the GCRA burst of that budget; it must be at least
	// BatchSize since one $batch takes up to BatchSize tokens at once.
	WriteBurst int         `yaml:"write_burst"`
	Retry      RetryConfig `yaml:"retry"`
	Drain      DrainConfig `yaml:"drain"`
}

// RetryConfig bounds the retries of transient Graph failures (5xx, no
// response) of one request inside Apply. 429s are not counted here: they
// pause the whole tenant (RateLimiter.Backoff) and are retried until
// MaxThrottled. Past either bound the intent fails with GraphUnavailable.
type RetryConfig struct {
	MaxAttempts     int           `yaml:"max_attempts"`
	InitialInterval time.Duration `yaml:"initial_interval"`
	MaxInterval     time.Duration `yaml:"max_interval"`
	MaxThrottled    int           `yaml:"max_throttled"`
	// DefaultRetryAfter is used for a 429 without Retry-After.
	DefaultRetryAfter time.Duration `yaml:"default_retry_after"`
}

// DrainConfig is the graceful stop of Run.
type DrainConfig struct {
	// Timeout bounds the wait for in-flight batches at stop; unfinished ones
	// are nak'ed and redelivered (idempotent), never lost.
	Timeout time.Duration `yaml:"timeout"`
	// InProgress is how often a running batch extends its ack wait; it must
	// be well under the writer consumer's AckWait (2m by default), since a
	// throttled batch can outlast it.
	InProgress time.Duration `yaml:"in_progress"`
}

// DefaultConfig serves shard 0 with Graph's documented budget.
func DefaultConfig() Config {
	return Config{
		Shards:          []int{0},
		Concurrency:     16,
		BatchCalls:      4,
		BatchSize:       graph.MaxBatch,
		WritesPerMinute: 2000,
		WriteBurst:      200,
		Retry: RetryConfig{
			MaxAttempts: 6, InitialInterval: 200 * time.Millisecond, MaxInterval: 10 * time.Second,
			MaxThrottled: 50, DefaultRetryAfter: 5 * time.Second,
		},
		Drain: DrainConfig{Timeout: 30 * time.Second, InProgress: 15 * time.Second},
	}
}

// RegisterFlags registers the writer flags under prefix (e.g. "writer.")
// with DefaultConfig values.
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	d := DefaultConfig()
	*c = d
	f.Var((*intList)(&c.Shards), prefix+"shards", "Comma-separated intent shards this replica consumes.")
	f.IntVar(&c.Concurrency, prefix+"concurrency", d.Concurrency, "Intent batches this process applies at once, over all its shards.")
	f.IntVar(&c.PerTenant, prefix+"per-tenant", d.PerTenant, "Intent batches of one target tenant applied at once by this process (0: 3/4 of concurrency).")
	f.IntVar(&c.BatchCalls, prefix+"batch-calls", d.BatchCalls, "$batch calls one intent batch keeps in flight.")
	f.IntVar(&c.BatchSize, prefix+"batch-size", d.BatchSize, "Requests per Graph $batch (1..20).")
	f.IntVar(&c.WritesPerMinute, prefix+"writes-per-minute", d.WritesPerMinute, "Default write budget per target tenant, shared by all writers.")
	f.IntVar(&c.WriteBurst, prefix+"write-burst", d.WriteBurst, "Burst of the shared write budget (>= batch size).")
	f.IntVar(&c.Retry.MaxAttempts, prefix+"retry.max-attempts", d.Retry.MaxAttempts, "Attempts of one Graph request on transient failures.")
	f.DurationVar(&c.Retry.InitialInterval, prefix+"retry.initial-interval", d.Retry.InitialInterval, "First back-off after a transient failure.")
	f.DurationVar(&c.Retry.MaxInterval, prefix+"retry.max-interval", d.Retry.MaxInterval, "Longest back-off after a transient failure.")
	f.IntVar(&c.Retry.MaxThrottled, prefix+"retry.max-throttled", d.Retry.MaxThrottled, "429 answers one request may get before it fails with GraphUnavailable (escrowed, retried next cycle).")
	f.DurationVar(&c.Retry.DefaultRetryAfter, prefix+"retry.default-retry-after", d.Retry.DefaultRetryAfter, "Pause after a 429 without Retry-After.")
	f.DurationVar(&c.Drain.Timeout, prefix+"drain.timeout", d.Drain.Timeout, "Wait for in-flight batches at stop.")
	f.DurationVar(&c.Drain.InProgress, prefix+"drain.in-progress", d.Drain.InProgress, "Period of ack-wait extensions while a batch runs (under the consumer's ack wait).")
}

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if len(c.Shards) == 0 {
		errs = append(errs, errors.New("writer: at least one shard is required"))
	}
	seen := map[int]bool{}
	for _, s := range c.Shards {
		if s < 0 || seen[s] {
			errs = append(errs, fmt.Errorf("writer: shard %d is negative or repeated", s))
		}
		seen[s] = true
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("writer: concurrency %d must be positive", c.Concurrency))
	}
	if c.PerTenant < 0 || c.PerTenant > c.Concurrency {
		errs = append(errs, fmt.Errorf("writer: per-tenant %d must be 0..concurrency (%d)", c.PerTenant, c.Concurrency))
	}
	if c.BatchCalls < 1 {
		errs = append(errs, fmt.Errorf("writer: batch calls %d must be positive", c.BatchCalls))
	}
	if c.BatchSize < 1 || c.BatchSize > graph.MaxBatch {
		errs = append(errs, fmt.Errorf("writer: batch size %d must be 1..%d", c.BatchSize, graph.MaxBatch))
	}
	if c.WritesPerMinute < 1 {
		errs = append(errs, fmt.Errorf("writer: writes per minute %d must be positive", c.WritesPerMinute))
	}
	if c.WriteBurst < c.BatchSize {
		errs = append(errs, fmt.Errorf("writer: write burst %d must be at least the batch size %d", c.WriteBurst, c.BatchSize))
	}
	if c.Retry.MaxAttempts < 1 || c.Retry.MaxThrottled < 1 {
		errs = append(errs, errors.New("writer: retry max attempts and max throttled must be positive"))
	}
	if c.Retry.InitialInterval <= 0 || c.Retry.MaxInterval < c.Retry.InitialInterval {
		errs = append(errs, errors.New("writer: retry intervals must be positive with max >= initial"))
	}
	if c.Retry.DefaultRetryAfter <= 0 || c.Drain.Timeout <= 0 || c.Drain.InProgress <= 0 {
		errs = append(errs, errors.New("writer: default retry-after, drain timeout and in-progress period must be positive"))
	}
	return errors.Join(errs...)
}

// TenantSlots is the effective PerTenant.
func (c Config) TenantSlots() int {
	if c.PerTenant > 0 {
		return c.PerTenant
	}
	return max(1, c.Concurrency*3/4)
}

type intList []int

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out []int
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("parse shard %q: %w", p, err)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

// Limit is the shared budget to build the fleet's redisx.Limiter with
// (redisx.NewLimiter(rdb, cfg.LimitFunc())); every writer must use the same.
func (c Config) Limit() redis_rate.Limit {
	return redis_rate.Limit{Rate: c.WritesPerMinute, Burst: c.WriteBurst, Period: time.Minute}
}

// LimitFunc gives every tenant Limit(); per-tenant budgets come with the
// configuration store.
func (c Config) LimitFunc() func(tenant string) redis_rate.Limit {
	l := c.Limit()
	return func(string) redis_rate.Limit { return l }
}
