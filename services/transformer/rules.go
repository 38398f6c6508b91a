package transformer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// ErrUnknownConfiguration is returned by a RulesResolver for a
// configuration it does not know; the batch is dead-lettered, not retried.
var ErrUnknownConfiguration = errors.New("transformer: unknown configuration")

// Compiled is what the transformer needs of one configuration.
type Compiled struct {
	Config         *decide.Config
	TargetTenantID string
	// DeletionThreshold is the accidental-deletion threshold per cycle;
	// 0 disables the prevention.
	DeletionThreshold int
}

// RulesResolver returns the compiled rules of a configuration. The
// configuration store (with the scheduler) will implement it with a cache;
// it is called once per batch, so it must be cheap.
type RulesResolver interface {
	Rules(ctx context.Context, configurationID string) (*Compiled, error)
}

// StaticRules is a RulesResolver over configurations given up front: tests,
// demos and the embedded default.
type StaticRules struct {
	mu  sync.RWMutex
	cfg map[string]*Compiled
}

// NewStaticRules returns an empty StaticRules.
func NewStaticRules() *StaticRules { return &StaticRules{cfg: map[string]*Compiled{}} }

// Add compiles r and registers it under configurationID.
func (s *StaticRules) Add(configurationID, targetTenantID string, r *spec.Rules) error {
	dc, err := r.Compile(nil)
	if err != nil {
		return fmt.Errorf("compile rules of %s: %w", configurationID, err)
	}
	s.Set(configurationID, &Compiled{Config: dc, TargetTenantID: targetTenantID, DeletionThreshold: r.DeletionThreshold()})
	return nil
}

// Set registers already compiled rules.
func (s *StaticRules) Set(configurationID string, c *Compiled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg[configurationID] = c
}

// Rules implements RulesResolver.
func (s *StaticRules) Rules(_ context.Context, configurationID string) (*Compiled, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.cfg[configurationID]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownConfiguration, configurationID)
	}
	return c, nil
}
