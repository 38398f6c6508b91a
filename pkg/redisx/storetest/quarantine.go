package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

var quarantineTests = []testCase{
	{"NotQuarantined", func(t *testing.T, h Harness) {
		_, err := h.New(t).Quarantines.Get(ctxT(t), "cfg-a")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		require.NoError(t, h.New(t).Quarantines.Release(ctxT(t), "cfg-a"))
	}},
	{"BackoffDoublesUpToCap", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Quarantines
		start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		now := start
		want := []time.Duration{1, 2, 4, 8, 16, 24, 24, 24}
		for i, hours := range want {
			q, err := s.Enter(ctx, "cfg-a", "EncounteredTotalEscrowThreshold", "too many escrows", now)
			require.NoError(t, err)
			require.EqualValues(t, i, q.SeriesCount)
			require.Equal(t, start, q.SeriesBegan)
			require.Equal(t, now, q.CurrentBegan)
			require.Equal(t, hours*time.Hour, q.NextAttempt.Sub(now), "imposition %d", i)
			require.False(t, q.Expired)
			got, err := s.Get(ctx, "cfg-a")
			require.NoError(t, err)
			require.Equal(t, q.NextAttempt, got.NextAttempt)
			require.Equal(t, "EncounteredTotalEscrowThreshold", got.Reason)
			now = q.NextAttempt
		}
	}},
	{"ReasonChangesSeriesContinues", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Quarantines
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.Enter(ctx, "cfg-a", "EncounteredQuarantineException", "bad credentials", now)
		require.NoError(t, err)
		q, err := s.Enter(ctx, "cfg-a", "TooManyDeletes", "612 deletions > 500", now.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, "TooManyDeletes", q.Reason)
		require.Equal(t, "612 deletions > 500", q.Message)
		require.EqualValues(t, 1, q.SeriesCount)
	}},
	{"ReleaseEndsSeries", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Quarantines
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		for range 3 {
			_, err := s.Enter(ctx, "cfg-a", "Unknown", "", now)
			require.NoError(t, err)
		}
		require.NoError(t, s.Release(ctx, "cfg-a"))
		_, err := s.Get(ctx, "cfg-a")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		q, err := s.Enter(ctx, "cfg-a", "Unknown", "", now.Add(time.Hour))
		require.NoError(t, err)
		require.Zero(t, q.SeriesCount)
		require.Equal(t, time.Hour, q.NextAttempt.Sub(q.CurrentBegan))
	}},
	{"ExpiresAfterFourWeeks", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Quarantines
		begin := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.Enter(ctx, "cfg-a", "Unknown", "", begin)
		require.NoError(t, err)
		q, err := s.Enter(ctx, "cfg-a", "Unknown", "", begin.Add(Policy.DisableAfter-time.Minute))
		require.NoError(t, err)
		require.False(t, q.Expired)
		q, err = s.Enter(ctx, "cfg-a", "Unknown", "", begin.Add(Policy.DisableAfter+time.Minute))
		require.NoError(t, err)
		require.True(t, q.Expired)
	}},
	{"InvalidArguments", func(t *testing.T, h Harness) {
		_, err := h.New(t).Quarantines.Enter(ctxT(t), "cfg-a", "", "", time.Now())
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
}
