package storetest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

func entry(i int, version uint64) redisx.Entry {
	return redisx.Entry{
		SourceID: fmt.Sprintf("src-%05d", i), TargetID: fmt.Sprintf("tgt-%05d", i),
		Type: redisx.Users, State: redisx.Active, CreatedBySync: true,
		Since:     time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		LastCycle: "c1", ExportHash: uint64(i) * 2654435761, Version: version,
	}
}

var connectorTests = []testCase{
	{"GetMissing", func(t *testing.T, h Harness) {
		_, err := h.New(t).Connectors.Get(ctxT(t), "cfg-a", "nobody")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		_, err = h.New(t).Connectors.SourceOf(ctxT(t), "cfg-a", "nobody")
		require.ErrorIs(t, err, redisx.ErrNotFound)
	}},
	{"RoundTripEveryField", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		in := []redisx.Entry{
			{SourceID: "s1", TargetID: "7f0c9a7e-1111-4bbb-8ccc-000000000001", Type: redisx.Groups,
				State: redisx.SoftDeleted, Since: time.Date(2026, 4, 2, 3, 4, 5, 6e6, time.UTC),
				MatchedBy: "mail", LastCycle: "cycle-42", ExportHash: 1<<64 - 1, Version: 1<<63 + 5,
				Exported: map[string]uint64{"displayName": 1, "mail": 1<<64 - 2, "": 0}},
			{SourceID: "s2", Type: redisx.Users, State: redisx.Deleted}, // zero values, pending target
		}
		for _, e := range in {
			require.NoError(t, s.Put(ctx, "cfg-a", e))
			got, err := s.Get(ctx, "cfg-a", e.SourceID)
			require.NoError(t, err)
			require.Equal(t, e, got)
		}
	}},
	{"InvalidEntries", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		for _, e := range []redisx.Entry{
			{SourceID: "", Type: redisx.Users, State: redisx.Active},
			{SourceID: "s", Type: "devices", State: redisx.Active},
			{SourceID: "s", Type: redisx.Users, State: "Gone"},
		} {
			require.ErrorIs(t, s.Put(ctx, "cfg-a", e), redisx.ErrInvalid)
		}
		_, err := s.Get(ctx, "cfg-a", "s")
		require.ErrorIs(t, err, redisx.ErrNotFound)
	}},
	{"BatchesWithMissingIDs", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		var batch []redisx.Entry
		for i := range 1200 { // more than one internal chunk
			batch = append(batch, entry(i, 1))
		}
		errs, err := s.PutMany(ctx, "cfg-a", batch)
		require.NoError(t, err)
		require.Len(t, errs, len(batch))
		for _, e := range errs {
			require.NoError(t, e)
		}
		ids := []string{"src-00000", "absent", "src-01199", "src-00600"}
		got, err := s.GetMany(ctx, "cfg-a", ids)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, batch[1199], got["src-01199"])
		n, err := s.Count(ctx, "cfg-a")
		require.NoError(t, err)
		require.EqualValues(t, 1200, n)
		n, err = s.Count(ctx, "cfg-b")
		require.NoError(t, err)
		require.Zero(t, n)
	}},
	{"OlderVersionNeverOverwrites", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		require.NoError(t, s.Put(ctx, "cfg-a", entry(1, 10)))
		old := entry(1, 9)
		old.TargetID = "stale-target"
		require.ErrorIs(t, s.Put(ctx, "cfg-a", old), redisx.ErrConflict)
		same := entry(1, 10) // the same outcome twice is harmless
		require.NoError(t, s.Put(ctx, "cfg-a", same))
		errs, err := s.PutMany(ctx, "cfg-a", []redisx.Entry{entry(2, 1), old, entry(1, 11)})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], redisx.ErrConflict)
		require.NoError(t, errs[2])
		got, err := s.Get(ctx, "cfg-a", "src-00001")
		require.NoError(t, err)
		require.EqualValues(t, 11, got.Version)
		_, err = s.SourceOf(ctx, "cfg-a", "stale-target")
		require.ErrorIs(t, err, redisx.ErrNotFound)
	}},
	{"ConcurrentPutsKeepNewestVersion", func(t *testing.T, h Harness) {
		ctx := ctxT(t)
		const writers, versions = 4, 40
		order := rand.Perm(versions)
		var wg sync.WaitGroup
		for w := range writers {
			s := h.New(t).Connectors
			wg.Go(func() {
				for i := w; i < versions; i += writers {
					e := entry(1, uint64(order[i]+1))
					e.TargetID = fmt.Sprintf("tgt-v%d", order[i]+1)
					if err := s.Put(ctx, "cfg-a", e); err != nil {
						assert.ErrorIs(t, err, redisx.ErrConflict)
					}
				}
			})
		}
		wg.Wait()
		s := h.New(t).Connectors
		got, err := s.Get(ctx, "cfg-a", "src-00001")
		require.NoError(t, err)
		require.EqualValues(t, versions, got.Version)
		src, err := s.SourceOf(ctx, "cfg-a", fmt.Sprintf("tgt-v%d", versions))
		require.NoError(t, err)
		require.Equal(t, "src-00001", src)
	}},
	{"ReverseIndexFollowsTarget", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		e := entry(1, 1)
		e.TargetID = ""
		require.NoError(t, s.Put(ctx, "cfg-a", e)) // create pending
		e.TargetID, e.Version = "t-1", 2
		require.NoError(t, s.Put(ctx, "cfg-a", e))
		src, err := s.SourceOf(ctx, "cfg-a", "t-1")
		require.NoError(t, err)
		require.Equal(t, "src-00001", src)
		e.TargetID, e.Version = "t-2", 3 // recreated after the restore window
		require.NoError(t, s.Put(ctx, "cfg-a", e))
		_, err = s.SourceOf(ctx, "cfg-a", "t-1")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		require.NoError(t, s.Delete(ctx, "cfg-a", "src-00001"))
		require.NoError(t, s.Delete(ctx, "cfg-a", "src-00001"))
		_, err = s.SourceOf(ctx, "cfg-a", "t-2")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		_, err = s.Get(ctx, "cfg-a", "src-00001")
		require.ErrorIs(t, err, redisx.ErrNotFound)
	}},
	{"ScanYieldsEveryEntryAndDropEmpties", func(t *testing.T, h Harness) {
		ctx, s := ctxT(t), h.New(t).Connectors
		var batch []redisx.Entry
		for i := range 1500 {
			batch = append(batch, entry(i, 1))
		}
		_, err := s.PutMany(ctx, "cfg-a", batch)
		require.NoError(t, err)
		_, err = s.PutMany(ctx, "cfg-b", batch[:3])
		require.NoError(t, err)
		seen := map[string]redisx.Entry{}
		for e, err := range s.Scan(ctx, "cfg-a") {
			require.NoError(t, err)
			seen[e.SourceID] = e
		}
		require.Len(t, seen, len(batch))
		require.Equal(t, batch[777], seen[batch[777].SourceID])

		// Early break stops the iteration cleanly.
		n := 0
		for range s.Scan(ctx, "cfg-a") {
			if n++; n == 10 {
				break
			}
		}
		require.NoError(t, s.Drop(ctx, "cfg-a"))
		c, err := s.Count(ctx, "cfg-a")
		require.NoError(t, err)
		require.Zero(t, c)
		_, err = s.SourceOf(ctx, "cfg-a", "tgt-00001")
		require.ErrorIs(t, err, redisx.ErrNotFound)
		c, err = s.Count(ctx, "cfg-b")
		require.NoError(t, err)
		require.EqualValues(t, 3, c)
	}},
}
