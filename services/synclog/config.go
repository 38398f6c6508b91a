package synclog

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Config is the log service's configuration.
type Config struct {
	// Concurrency is how many OutcomeBatch messages are handled at once.
	// Every step is idempotent, so replicas and goroutines may overlap.
	Concurrency int `yaml:"concurrency"`
	// CycleTTL keeps a cycle's counters (the scheduler's CycleSummary)
	// this long after its last update.
	CycleTTL time.Duration `yaml:"cycle_ttl"`
	// SeenTTL keeps the per-cycle set of counted entry ids: it must outlast
	// any redelivery of an OutcomeBatch (MaxDeliver x BackOff), after which
	// a late copy would be counted twice.
	SeenTTL time.Duration `yaml:"seen_ttl"`
	// DrainTimeout bounds the wait for in-flight batches at stop; the rest
	// is nak'ed and redelivered, never lost.
	DrainTimeout time.Duration    `yaml:"drain_timeout"`
	Quarantine   QuarantineConfig `yaml:"quarantine"`
	API          APIConfig        `yaml:"api"`
}

// QuarantineConfig decides when a cycle's failures quarantine the job.
type QuarantineConfig struct {
	// FailureRatio: quarantine once failed / (failed + succeeded writes)
	// exceeds it over at least MinObjects writes. Skips are not writes.
	FailureRatio float64 `yaml:"failure_ratio"`
	MinObjects   int64   `yaml:"min_objects"`
	// AuthMinFailures: quarantine once this many writes failed with an
	// authentication or authorization code and no write succeeded.
	AuthMinFailures int64 `yaml:"auth_min_failures"`
	// AuthCodes are the error codes (ours or Graph's, matched in the code
	// or the message) that mean "the credentials or consent are wrong".
	AuthCodes []string `yaml:"auth_codes"`
	// HeldDeletes, when set, also enters TooManyDeletes when the
	// transformer holds a cycle's deprovisions. Off by default: the
	// scheduler pauses such a job itself (it reads the transformer's held
	// list), and a quarantine on top would defer the admin's approved
	// restart unless it also clears the quarantine.
	HeldDeletes bool `yaml:"held_deletes"`
}

// APIConfig bounds the query API.
type APIConfig struct {
	// ScanLimit bounds how many log entries (or audit records) one List
	// call reads; a page may come back short with a next_page_token when a
	// sparse filter hits it.
	ScanLimit int `yaml:"scan_limit"`
}

// DefaultAuthCodes are Graph's and the writer's codes for a token or an
// identity the target refuses.
var DefaultAuthCodes = []string{
	"InvalidAuthenticationToken", "Authorization_IdentityNotFound", "Authorization_RequestDenied",
	"AuthorizationDenied", "Authentication_Unauthorized", "AuthenticationFailed",
}

// DefaultConfig quarantines at > 60 % failures over >= 100 writes, or 20
// authentication failures with no success.
func DefaultConfig() Config {
	return Config{
		Concurrency:  4,
		CycleTTL:     7 * 24 * time.Hour,
		SeenTTL:      48 * time.Hour,
		DrainTimeout: 30 * time.Second,
		Quarantine: QuarantineConfig{FailureRatio: 0.6, MinObjects: 100, AuthMinFailures: 20,
			AuthCodes: append([]string(nil), DefaultAuthCodes...)},
		API: APIConfig{ScanLimit: 200_000},
	}
}

// RegisterFlags registers the flags under prefix (e.g. "synclog.") with
// DefaultConfig values.
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	d := DefaultConfig()
	*c = d
	f.IntVar(&c.Concurrency, prefix+"concurrency", d.Concurrency, "Outcome batches handled at once.")
	f.DurationVar(&c.CycleTTL, prefix+"cycle-ttl", d.CycleTTL, "Keep cycle counters this long.")
	f.DurationVar(&c.SeenTTL, prefix+"seen-ttl", d.SeenTTL, "Remember counted entry ids this long (longer than any redelivery).")
	f.DurationVar(&c.DrainTimeout, prefix+"drain-timeout", d.DrainTimeout, "Wait for in-flight batches at stop.")
	f.Float64Var(&c.Quarantine.FailureRatio, prefix+"quarantine.failure-ratio", d.Quarantine.FailureRatio, "Quarantine when failed/written exceeds this (0..1).")
	f.Int64Var(&c.Quarantine.MinObjects, prefix+"quarantine.min-objects", d.Quarantine.MinObjects, "Writes a cycle needs before the failure ratio counts.")
	f.Int64Var(&c.Quarantine.AuthMinFailures, prefix+"quarantine.auth-min-failures", d.Quarantine.AuthMinFailures, "Authentication failures with no success that quarantine.")
	f.BoolVar(&c.Quarantine.HeldDeletes, prefix+"quarantine.held-deletes", d.Quarantine.HeldDeletes, "Also quarantine (TooManyDeletes) when deprovisions are held.")
	f.IntVar(&c.API.ScanLimit, prefix+"api.scan-limit", d.API.ScanLimit, "Log entries (or audit records) one List call may read.")
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d must be positive", c.Concurrency))
	}
	if c.SeenTTL < time.Hour || c.CycleTTL < c.SeenTTL {
		errs = append(errs, fmt.Errorf("seen ttl %s must be >= 1h and <= cycle ttl %s", c.SeenTTL, c.CycleTTL))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, errors.New("drain timeout must be positive"))
	}
	q := c.Quarantine
	if q.FailureRatio <= 0 || q.FailureRatio > 1 {
		errs = append(errs, fmt.Errorf("quarantine failure ratio %v not in (0, 1]", q.FailureRatio))
	}
	if q.MinObjects < 1 || q.AuthMinFailures < 1 {
		errs = append(errs, errors.New("quarantine min objects and auth min failures must be positive"))
	}
	if c.API.ScanLimit < 1000 {
		errs = append(errs, fmt.Errorf("api scan limit %d under 1000", c.API.ScanLimit))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("synclog: config: %w", err)
	}
	return nil
}
