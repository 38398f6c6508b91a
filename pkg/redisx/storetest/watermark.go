package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

var watermarkTests = []testCase{
	{"NotFoundIsRevZero", func(t *testing.T, h Harness) {
		wm, err := h.New(t).Watermarks.Get(ctxT(t), "cfg-a", redisx.Users)
		require.ErrorIs(t, err, redisx.ErrNotFound)
		require.Zero(t, wm.Rev)
	}},
	{"CommitRoundTrip", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Watermarks
		at := time.Date(2026, 5, 1, 10, 0, 0, 123, time.UTC)
		in := redisx.Watermark{NextLink: "https://graph/users/delta?$skiptoken=1", FullImport: true, CycleID: "c1", UpdatedAt: at}
		got, err := s.Commit(ctx, "cfg-a", redisx.Users, 0, in)
		require.NoError(t, err)
		require.EqualValues(t, 1, got.Rev)
		read, err := s.Get(ctx, "cfg-a", redisx.Users)
		require.NoError(t, err)
		require.Equal(t, got, read)

		in2 := redisx.Watermark{DeltaLink: "https://graph/users/delta?$deltatoken=2", CycleID: "c1", UpdatedAt: at}
		got, err = s.Commit(ctx, "cfg-a", redisx.Users, 1, in2)
		require.NoError(t, err)
		require.EqualValues(t, 2, got.Rev)
		require.Equal(t, in2.DeltaLink, got.DeltaLink)
	}},
	{"StaleRevConflicts", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Watermarks
		_, err := s.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{DeltaLink: "d1"})
		require.NoError(t, err)
		_, err = s.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{DeltaLink: "other"})
		require.ErrorIs(t, err, redisx.ErrConflict)
		_, err = s.Commit(ctx, "cfg-a", redisx.Users, 7, redisx.Watermark{DeltaLink: "other"})
		require.ErrorIs(t, err, redisx.ErrConflict)
		wm, err := s.Get(ctx, "cfg-a", redisx.Users)
		require.NoError(t, err)
		require.Equal(t, "d1", wm.DeltaLink)
	}},
	{"RepeatedCommitIsIdempotent", func(t *testing.T, h Harness) {
		// A retry after a lost reply must not look like a lost race.
		ctx, s := ctxT(t), h.New(t).Watermarks
		next := redisx.Watermark{DeltaLink: "d1", CycleID: "c9"}
		a, err := s.Commit(ctx, "cfg-a", redisx.Groups, 0, next)
		require.NoError(t, err)
		b, err := s.Commit(ctx, "cfg-a", redisx.Groups, 0, next)
		require.NoError(t, err)
		require.Equal(t, a, b)
	}},
	{"ConcurrentCASExactlyOneWins", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		base, err := h.New(t).Watermarks.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{DeltaLink: "d0"})
		require.NoError(t, err)
		const readers = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []string
		)
		for i := range readers {
			s := h.New(t).Watermarks
			wg.Go(func() {
				link := "d-reader-" + string(rune('a'+i))
				_, err := s.Commit(ctx, "cfg-a", redisx.Users, base.Rev, redisx.Watermark{DeltaLink: link})
				if err == nil {
					mu.Lock()
					wins = append(wins, link)
					mu.Unlock()
					return
				}
				assert.ErrorIs(t, err, redisx.ErrConflict)
			})
		}
		wg.Wait()
		require.Len(t, wins, 1)
		wm, err := h.New(t).Watermarks.Get(ctx, "cfg-a", redisx.Users)
		require.NoError(t, err)
		require.Equal(t, wins[0], wm.DeltaLink)
		require.Equal(t, base.Rev+1, wm.Rev)
	}},
	{"ResetForcesFullImportAndFencesOldReaders", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Watermarks
		wm, err := s.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{DeltaLink: "d1"})
		require.NoError(t, err)
		r, err := s.Reset(ctx, "cfg-a", redisx.Users)
		require.NoError(t, err)
		require.Greater(t, r.Rev, wm.Rev)
		got, err := s.Get(ctx, "cfg-a", redisx.Users)
		require.NoError(t, err)
		require.Empty(t, got.DeltaLink)
		require.Empty(t, got.NextLink)
		require.Equal(t, r.Rev, got.Rev)
		// The reader that read before the reset must not commit over it.
		_, err = s.Commit(ctx, "cfg-a", redisx.Users, wm.Rev, redisx.Watermark{DeltaLink: "d2"})
		require.ErrorIs(t, err, redisx.ErrConflict)
		_, err = s.Commit(ctx, "cfg-a", redisx.Users, r.Rev, redisx.Watermark{NextLink: "n1", FullImport: true})
		require.NoError(t, err)
	}},
	{"TypesAndConfigurationsAreIndependent", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Watermarks
		_, err := s.Commit(ctx, "cfg-a", redisx.Users, 0, redisx.Watermark{DeltaLink: "u"})
		require.NoError(t, err)
		_, err = s.Get(ctx, "cfg-a", redisx.Groups)
		require.ErrorIs(t, err, redisx.ErrNotFound)
		_, err = s.Get(ctx, "cfg-b", redisx.Users)
		require.ErrorIs(t, err, redisx.ErrNotFound)
	}},
	{"InvalidArguments", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Watermarks
		for _, cfg := range []string{"", "a{b}"} {
			_, err := s.Get(ctx, cfg, redisx.Users)
			require.ErrorIs(t, err, redisx.ErrInvalid, cfg)
		}
		_, err := s.Commit(ctx, "cfg", "devices", 0, redisx.Watermark{})
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
}
