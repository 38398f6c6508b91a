package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

var escrowTests = []testCase{
	{"RecordCountsAndKeepsLastError", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Escrows
		for i, code := range []string{"EntryConflict", "EntryConflict", "InvalidAnchor"} {
			n, err := s.RecordFailure(ctx, "cfg-a", "obj-1", code, "attempt")
			require.NoError(t, err)
			require.EqualValues(t, i+1, n)
		}
		_, err := s.RecordFailure(ctx, "cfg-a", "obj-0", "ImportSkipped", "no mail")
		require.NoError(t, err)
		list, err := s.List(ctx, "cfg-a")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "obj-0", list[0].ObjectID) // sorted
		require.Equal(t, "obj-1", list[1].ObjectID)
		require.EqualValues(t, 3, list[1].Count)
		require.Equal(t, "InvalidAnchor", list[1].Code)
		require.Equal(t, "attempt", list[1].Message)
		require.False(t, list[1].FirstSeen.IsZero())
		require.False(t, list[1].LastSeen.Before(list[1].FirstSeen))
	}},
	{"ClearAndClearAll", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Escrows
		for _, id := range []string{"a", "b", "c"} {
			_, err := s.RecordFailure(ctx, "cfg-a", id, "E", "m")
			require.NoError(t, err)
		}
		_, err := s.RecordFailure(ctx, "cfg-b", "a", "E", "m")
		require.NoError(t, err)
		require.NoError(t, s.Clear(ctx, "cfg-a", "b"))
		require.NoError(t, s.Clear(ctx, "cfg-a", "never-failed"))
		list, err := s.List(ctx, "cfg-a")
		require.NoError(t, err)
		require.Len(t, list, 2)
		// A cleared object starts counting from one again.
		n, err := s.RecordFailure(ctx, "cfg-a", "b", "E", "m")
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.NoError(t, s.ClearAll(ctx, "cfg-a"))
		list, err = s.List(ctx, "cfg-a")
		require.NoError(t, err)
		require.Empty(t, list)
		list, err = s.List(ctx, "cfg-b")
		require.NoError(t, err)
		require.Len(t, list, 1)
	}},
	{"ConcurrentFailuresAllCounted", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		const writers, each = 4, 25
		var wg sync.WaitGroup
		for range writers {
			s := h.New(t).Escrows
			wg.Go(func() {
				for range each {
					_, err := s.RecordFailure(ctx, "cfg-a", "obj", "E", "m")
					assert.NoError(t, err)
				}
			})
		}
		wg.Wait()
		list, err := h.New(t).Escrows.List(ctx, "cfg-a")
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.EqualValues(t, writers*each, list[0].Count)
	}},
	{"InvalidArguments", func(t *testing.T, h Harness) {
		_, err := h.New(t).Escrows.RecordFailure(ctxT(t), "cfg-a", "", "E", "m")
		require.ErrorIs(t, err, redisx.ErrInvalid)
	}},
}
