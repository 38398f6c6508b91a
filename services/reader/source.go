package reader

import (
	"context"
	"fmt"
	"sync"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// SourceResolver finds the source tenant of a configuration. The scheduler's
// configuration store implements it in production; StaticSources in tests
// and the all-in-one demo.
type SourceResolver interface {
	Source(ctx context.Context, configurationID string) (graph.Source, error)
}

// ErrUnknownConfiguration is returned by StaticSources for an id it lacks.
var ErrUnknownConfiguration = fmt.Errorf("reader: unknown configuration")

// StaticSources is a fixed map from configuration id to source tenant.
type StaticSources struct {
	mu sync.RWMutex
	m  map[string]graph.Source
}

// NewStaticSources returns a resolver over m (copied).
func NewStaticSources(m map[string]graph.Source) *StaticSources {
	s := &StaticSources{m: make(map[string]graph.Source, len(m))}
	for k, v := range m {
		s.m[k] = v
	}
	return s
}

// Set adds or replaces one configuration's source.
func (s *StaticSources) Set(configurationID string, src graph.Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[configurationID] = src
}

// Source implements SourceResolver.
func (s *StaticSources) Source(_ context.Context, configurationID string) (graph.Source, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	src, ok := s.m[configurationID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownConfiguration, configurationID)
	}
	return src, nil
}
