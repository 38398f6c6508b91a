package transformer_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/transformer"
)

var errNoConfig = errors.New("not found")

// configs is an in-memory ConfigurationSource counting reads.
type configs struct {
	reads atomic.Int32
	c     atomic.Pointer[schedulerv1.Configuration]
}

func (s *configs) Get(_ context.Context, id string) (*schedulerv1.Configuration, error) {
	s.reads.Add(1)
	c := s.c.Load()
	if c == nil || c.GetId() != id {
		return nil, errNoConfig
	}
	return c, nil
}

func storedConfig(t *testing.T, etag string, rules map[string]any) *schedulerv1.Configuration {
	st, err := structpb.NewStruct(rules)
	require.NoError(t, err)
	return &schedulerv1.Configuration{Id: cfgID, Etag: etag, Rules: st,
		Source: &commonv1.TenantRef{TenantId: "tenant-a"}, Target: &commonv1.TenantRef{TenantId: tenant}}
}

func TestStoredRules(t *testing.T) {
	t.Parallel()
	src := &configs{}
	src.c.Store(storedConfig(t, "1", map[string]any{"assignments": map[string]any{"users": []any{"u1"}},
		"accidentalDeletion": map[string]any{"threshold": 7}}))
	r := transformer.NewStoredRules(src, errNoConfig, time.Hour)

	c, err := r.Rules(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Equal(t, tenant, c.TargetTenantID)
	require.Equal(t, 7, c.DeletionThreshold)
	again, err := r.Rules(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Same(t, c, again, "cached within the TTL")
	require.EqualValues(t, 1, src.reads.Load())

	_, err = r.Rules(ctxT(t), "other")
	require.ErrorIs(t, err, transformer.ErrUnknownConfiguration)

	bad := transformer.NewStoredRules(src, errNoConfig, 0)
	src.c.Store(storedConfig(t, "2", map[string]any{"scopingFilter": true}))
	_, err = bad.Rules(ctxT(t), cfgID)
	require.ErrorIs(t, err, transformer.ErrInvalidRules, "strict decoding catches a typo")

	// Through Transform: the source tenant fills the B2B identity.
	src.c.Store(storedConfig(t, "3", map[string]any{"assignments": map[string]any{"users": []any{"u1"}}}))
	f := newFixture(t, nil)
	tr, err := transformer.New(f.cfg, transformer.Deps{Rules: transformer.NewStoredRules(src, errNoConfig, 0),
		Connectors: f.cds, Redis: f.rdb, Logger: quiet})
	require.NoError(t, err)
	out, err := tr.Transform(ctxT(t), batch(1, user("u1")))
	require.NoError(t, err)
	require.Contains(t, out.GetIntents()[0].GetMatchQueries()[0].GetFilter(), "identityProvider eq 'tenant-a'")
}
