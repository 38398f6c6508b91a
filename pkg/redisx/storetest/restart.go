package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

var restartTests = []testCase{
	{"AcknowledgedStateSurvivesRestart", func(t *testing.T, h Harness) {
		if h.Restart == nil {
			t.Skip("backend cannot restart")
		}
		ctx, s := ctxT(t), h.New(t)
		wm, err := s.Watermarks.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{NextLink: "n1", FullImport: true})
		require.NoError(t, err)
		require.NoError(t, s.Connectors.Put(ctx, "cfg-a", entry(1, 5)))
		_, err = s.Escrows.RecordFailure(ctx, "cfg-a", "obj", "E", "m")
		require.NoError(t, err)
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		q, err := s.Quarantines.Enter(ctx, "cfg-a", "TooManyDeletes", "", now)
		require.NoError(t, err)

		h.Restart(t)

		// Clients reconnect by themselves; a fresh replica sees the same.
		for _, r := range []Stores{s, h.New(t)} {
			got, err := r.Watermarks.Get(ctx, "cfg-a", redisx.Users)
			require.NoError(t, err)
			require.Equal(t, wm, got)
			e, err := r.Connectors.Get(ctx, "cfg-a", "src-00001")
			require.NoError(t, err)
			require.Equal(t, entry(1, 5), e)
			src, err := r.Connectors.SourceOf(ctx, "cfg-a", "tgt-00001")
			require.NoError(t, err)
			require.Equal(t, "src-00001", src)
			list, err := r.Escrows.List(ctx, "cfg-a")
			require.NoError(t, err)
			require.Len(t, list, 1)
			gq, err := r.Quarantines.Get(ctx, "cfg-a")
			require.NoError(t, err)
			require.Equal(t, q.NextAttempt, gq.NextAttempt)
		}
		// The CAS continues from the persisted revision, and the interrupted
		// full import resumes from its NextLink.
		_, err = s.Watermarks.Commit(ctx, "cfg-a", redisx.Users, wm.Rev, redisx.Watermark{DeltaLink: "d1"})
		require.NoError(t, err)
	}},
	{"FencesKeepGrowingAcrossRestart", func(t *testing.T, h Harness) {
		if h.Restart == nil {
			t.Skip("backend cannot restart")
		}
		ctx := ctxT(t)
		l, err := h.New(t).Leases.AcquireCycle(ctx, "cfg-a", 10*time.Second)
		require.NoError(t, err)
		require.NoError(t, l.Release(ctx))
		h.Restart(t)
		l2, err := h.New(t).Leases.AcquireCycle(ctx, "cfg-a", 10*time.Second)
		require.NoError(t, err)
		require.Greater(t, l2.Fence(), l.Fence())
		require.NoError(t, l2.Release(ctx))
	}},
}
