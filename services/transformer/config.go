package transformer

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config tunes the transformer. The zero value is not usable: start from
// DefaultConfig (RegisterFlags does).
type Config struct {
	// ChangeShards is the number of change shards in the topology
	// (natsx.TopologyConfig.ChangeShards); IntentShards the number of intent
	// shards, used to route each intent to its writer.
	ChangeShards int `yaml:"change_shards"`
	IntentShards int `yaml:"intent_shards"`
	// Shards lists the change shards this replica consumes; empty means all.
	Shards []int `yaml:"shards"`
	// Concurrency is handler goroutines per shard consumer. Keep 1 unless
	// the reader sets order keys: batches without one may run in any order,
	// and two batches of one shard may carry the same object.
	Concurrency int `yaml:"concurrency"`
	// FetchBatch is how many change batches one pull asks for per shard.
	FetchBatch int `yaml:"fetch_batch"`
	// ReleaseBatch is how many held intents ReleaseHeld puts in one
	// IntentBatch.
	ReleaseBatch int `yaml:"release_batch"`
	// MaxMessageBytes caps one published IntentBatch; larger ones are split.
	// Keep it under the streams' MaxMsgSize (natsx default 1 MiB) with
	// room for headers: 250 default-mapped creates take ~1.15 MB.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// DrainTimeout bounds the wait for in-flight batches at stop.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// CycleStateTTL expires per-cycle Redis state (deprovision counts, held
	// intents): long enough for an admin to decide about held deletions.
	CycleStateTTL time.Duration `yaml:"cycle_state_ttl"`
}

// DefaultConfig matches the shard counts of
// natsx.DefaultTopologyConfig (16 and 16), all served here.
func DefaultConfig() Config {
	return Config{
		ChangeShards:    16,
		IntentShards:    16,
		Concurrency:     1,
		FetchBatch:      16,
		ReleaseBatch:    250,
		MaxMessageBytes: 900 << 10,
		DrainTimeout:    30 * time.Second,
		CycleStateTTL:   30 * 24 * time.Hour,
	}
}

// RegisterFlags registers the flags under prefix (e.g. "transformer.")
// with DefaultConfig values.
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	*c = DefaultConfig()
	f.IntVar(&c.ChangeShards, prefix+"change-shards", c.ChangeShards, "Change shards in the NATS topology.")
	f.IntVar(&c.IntentShards, prefix+"intent-shards", c.IntentShards, "Intent shards in the NATS topology.")
	f.Var((*intList)(&c.Shards), prefix+"shards", "Comma-separated change shards this replica serves (empty: all).")
	f.IntVar(&c.Concurrency, prefix+"concurrency", c.Concurrency, "Handler goroutines per shard consumer (1 keeps per-object order).")
	f.IntVar(&c.FetchBatch, prefix+"fetch-batch", c.FetchBatch, "Change batches pulled at once per shard.")
	f.IntVar(&c.ReleaseBatch, prefix+"release-batch", c.ReleaseBatch, "Held intents per IntentBatch when released.")
	f.IntVar(&c.MaxMessageBytes, prefix+"max-message-bytes", c.MaxMessageBytes, "Largest IntentBatch published; larger ones are split.")
	f.DurationVar(&c.DrainTimeout, prefix+"drain-timeout", c.DrainTimeout, "Wait for in-flight batches at stop.")
	f.DurationVar(&c.CycleStateTTL, prefix+"cycle-state-ttl", c.CycleStateTTL, "Expiry of per-cycle deletion counts and held intents.")
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.ChangeShards < 1 {
		errs = append(errs, fmt.Errorf("change_shards %d must be positive", c.ChangeShards))
	}
	if c.IntentShards < 1 {
		errs = append(errs, fmt.Errorf("intent_shards %d must be positive", c.IntentShards))
	}
	seen := map[int]bool{}
	for _, s := range c.Shards {
		if s < 0 || s >= c.ChangeShards {
			errs = append(errs, fmt.Errorf("shard %d is outside [0, %d)", s, c.ChangeShards))
		}
		if seen[s] {
			errs = append(errs, fmt.Errorf("shard %d listed twice", s))
		}
		seen[s] = true
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d must be positive", c.Concurrency))
	}
	if c.FetchBatch < 1 {
		errs = append(errs, fmt.Errorf("fetch_batch %d must be positive", c.FetchBatch))
	}
	if c.ReleaseBatch < 1 {
		errs = append(errs, fmt.Errorf("release_batch %d must be positive", c.ReleaseBatch))
	}
	if c.MaxMessageBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("max_message_bytes %d is under 64 KiB", c.MaxMessageBytes))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("drain_timeout %s must be positive", c.DrainTimeout))
	}
	if c.CycleStateTTL < time.Hour {
		errs = append(errs, fmt.Errorf("cycle_state_ttl %s is under 1h", c.CycleStateTTL))
	}
	return errors.Join(errs...)
}

// served returns the shards this replica consumes.
func (c Config) served() []int {
	if len(c.Shards) > 0 {
		return c.Shards
	}
	out := make([]int, c.ChangeShards)
	for i := range out {
		out[i] = i
	}
	return out
}

// intList is a comma-separated flag of integers.
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
	*l = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("shard %q: %w", p, err)
		}
		*l = append(*l, n)
	}
	return nil
}
