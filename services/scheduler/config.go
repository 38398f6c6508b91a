package scheduler

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Schedule bounds, as Entra's: default 40 minutes, 5 minutes to 24 hours.
const (
	DefaultInterval = 40 * time.Minute
	MinInterval     = 5 * time.Minute
	MaxInterval     = 24 * time.Hour
)

// Config tunes the scheduler service.
type Config struct {
	// Tick is how often the leader looks for due jobs.
	Tick time.Duration `yaml:"tick"`
	// LeaderTTL is the leader lease: a dead leader is replaced after it.
	LeaderTTL time.Duration `yaml:"leader_ttl"`
	// CycleTimeout: a cycle without CycleEnd for this long is considered
	// lost (its start was dropped, say) and the job is due again.
	CycleTimeout time.Duration `yaml:"cycle_timeout"`
	// AuditMaxLen caps the audit stream (approximately).
	AuditMaxLen int64 `yaml:"audit_max_len"`
	// ForceDeletesTTL bounds an approval nobody picked up.
	ForceDeletesTTL time.Duration `yaml:"force_deletes_ttl"`
	// GraphTimeout bounds TestConnection's Graph calls.
	GraphTimeout time.Duration `yaml:"graph_timeout"`
	// DisableQuarantinedAfter pauses a job whose quarantine series is this
	// old (Entra: four weeks).
	DisableQuarantinedAfter time.Duration `yaml:"disable_quarantined_after"`
}

// DefaultConfig returns the defaults RegisterFlags installs.
func DefaultConfig() Config {
	return Config{
		Tick: 5 * time.Second, LeaderTTL: 15 * time.Second, CycleTimeout: 12 * time.Hour,
		AuditMaxLen: 1_000_000, ForceDeletesTTL: 7 * 24 * time.Hour, GraphTimeout: 30 * time.Second,
		DisableQuarantinedAfter: 28 * 24 * time.Hour,
	}
}

// RegisterFlags registers the flags under prefix (e.g. "scheduler.").
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	d := DefaultConfig()
	f.DurationVar(&c.Tick, prefix+"tick", d.Tick, "How often the leader looks for due jobs.")
	f.DurationVar(&c.LeaderTTL, prefix+"leader-ttl", d.LeaderTTL, "Leader lease TTL; a dead leader is replaced after it.")
	f.DurationVar(&c.CycleTimeout, prefix+"cycle-timeout", d.CycleTimeout, "A cycle without CycleEnd for this long is considered lost.")
	f.Int64Var(&c.AuditMaxLen, prefix+"audit-max-len", d.AuditMaxLen, "Approximate cap of the audit stream.")
	f.DurationVar(&c.ForceDeletesTTL, prefix+"force-deletes-ttl", d.ForceDeletesTTL, "Expiry of an unclaimed force-deletes approval.")
	f.DurationVar(&c.GraphTimeout, prefix+"graph-timeout", d.GraphTimeout, "Bound on TestConnection's Graph calls.")
	f.DurationVar(&c.DisableQuarantinedAfter, prefix+"disable-quarantined-after", d.DisableQuarantinedAfter, "Pause a job quarantined for this long.")
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.Tick <= 0 {
		errs = append(errs, fmt.Errorf("tick %s must be positive", c.Tick))
	}
	if c.LeaderTTL < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("leader ttl %s is under 100ms", c.LeaderTTL))
	}
	if c.CycleTimeout < time.Minute {
		errs = append(errs, fmt.Errorf("cycle timeout %s is under 1m", c.CycleTimeout))
	}
	if c.AuditMaxLen < 1 {
		errs = append(errs, errors.New("audit max len must be positive"))
	}
	if c.ForceDeletesTTL <= 0 || c.GraphTimeout <= 0 || c.DisableQuarantinedAfter <= 0 {
		errs = append(errs, errors.New("force-deletes ttl, graph timeout and disable-quarantined-after must be positive"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scheduler: config: %w", err)
	}
	return nil
}
