package transformer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// ErrInvalidRules: the stored rules do not decode or compile; the batch is
// dead-lettered (the scheduler validates on write, so this means a bug or a
// schema change).
var ErrInvalidRules = errors.New("transformer: invalid stored rules")

// ConfigurationSource reads configurations; services/scheduler's Store
// implements it.
type ConfigurationSource interface {
	Get(ctx context.Context, id string) (*schedulerv1.Configuration, error)
}

// StoredRules is the RulesResolver over the configuration store. It
// re-reads a configuration at most every TTL and recompiles only when the
// etag changed, so a rules change reaches the transformers within TTL.
type StoredRules struct {
	src      ConfigurationSource
	notFound error
	ttl      time.Duration
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]storedEntry
}

type storedEntry struct {
	etag    string
	read    time.Time
	compile *Compiled
}

// NewStoredRules returns a resolver over src; notFound is src's "no such
// configuration" sentinel (scheduler.ErrNotFound), reported as
// ErrUnknownConfiguration.
func NewStoredRules(src ConfigurationSource, notFound error, ttl time.Duration) *StoredRules {
	return &StoredRules{src: src, notFound: notFound, ttl: ttl, now: time.Now, cache: map[string]storedEntry{}}
}

// Rules implements RulesResolver.
func (s *StoredRules) Rules(ctx context.Context, id string) (*Compiled, error) {
	s.mu.Lock()
	e, ok := s.cache[id]
	s.mu.Unlock()
	if ok && s.now().Sub(e.read) < s.ttl {
		return e.compile, nil
	}
	c, err := s.src.Get(ctx, id)
	if err != nil {
		if s.notFound != nil && errors.Is(err, s.notFound) {
			s.forget(id)
			return nil, fmt.Errorf("%w: %s", ErrUnknownConfiguration, id)
		}
		return nil, fmt.Errorf("read configuration %s: %w", id, err)
	}
	if !ok || e.etag != c.GetEtag() || c.GetEtag() == "" {
		if e.compile, err = compileStored(c); err != nil {
			return nil, err
		}
	}
	e.etag, e.read = c.GetEtag(), s.now()
	s.mu.Lock()
	s.cache[id] = e
	s.mu.Unlock()
	return e.compile, nil
}

func (s *StoredRules) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, id)
}

// compileStored decodes the rules JSON strictly and compiles it; rules
// without sourceTenantId take the source tenant's id, as the scheduler does.
func compileStored(c *schedulerv1.Configuration) (*Compiled, error) {
	js, err := protojson.Marshal(c.GetRules())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, c.GetId(), err)
	}
	r, err := spec.Decode(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, c.GetId(), err)
	}
	if r.SourceTenantID == "" {
		r.SourceTenantID = c.GetSource().GetTenantId()
	}
	dc, err := r.Compile(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, c.GetId(), err)
	}
	return &Compiled{Config: dc, TargetTenantID: c.GetTarget().GetTenantId(), DeletionThreshold: r.DeletionThreshold()}, nil
}
