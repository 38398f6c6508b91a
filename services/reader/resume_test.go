package reader_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// TestCrashMidImportResumes cancels a cycle during its full import and
// runs the cycle again: it resumes from the committed NextLink (or
// restarts, for a FULL cycle under a new id), and every object reaches the
// stream at least once.
func TestCrashMidImportResumes(t *testing.T) {
	t.Parallel()
	const users, pageSize, crashBefore = 1000, 100, 4
	for _, tc := range []struct {
		name         string
		first, rerun *eventsv1.CycleStart
		resumes      bool
	}{
		{"delta, same cycle redelivered", start("c1", delta), start("c1", delta), true},
		{"delta, next cycle continues the import", start("c1", delta), start("c2", delta), true},
		{"full, same cycle redelivered", start("c1", full), start("c1", full), true},
		{"full, new cycle restarts", start("c1", full), start("c2", full), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{users: users, groups: 3, pageSize: pageSize})
			src := &hookSource{Source: e.client}
			e.sources.Set(testCfg, src)

			ctx, cancel := context.WithCancel(ctxT(t))
			src.before = func(_ context.Context, n int) error {
				if n == crashBefore {
					cancel() // the process dies while reading page 4
					return ctx.Err()
				}
				return nil
			}
			require.ErrorIs(t, e.reader.RunCycle(ctx, tc.first), context.Canceled)
			run1 := e.drainChanges()
			require.Len(t, run1.ofType(commonv1.ObjectType_OBJECT_TYPE_USER), (crashBefore-1)*pageSize)
			require.Empty(t, e.cycleEnds(), "no CycleEnd for an unfinished cycle")
			crashed := e.watermark(redisx.Users)
			require.True(t, crashed.FullImport)
			require.NotEmpty(t, crashed.NextLink)
			require.Empty(t, crashed.DeltaLink)
			require.Len(t, run1.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP), 3, "groups come first")
			require.Empty(t, e.watermark(redisx.Groups).DeltaLink, "links move only at the cycle's end")

			src.before = nil
			asked := len(src.requested())
			require.NoError(t, e.reader.RunCycle(ctxT(t), tc.rerun))
			run2 := e.drainChanges()
			first := src.requested()[asked]
			run2Users := run2.ofType(commonv1.ObjectType_OBJECT_TYPE_USER)
			if tc.resumes {
				require.Equal(t, crashed.NextLink, first, "resumes on the page after the last queued one")
				require.Len(t, run2Users, users-(crashBefore-1)*pageSize)
			} else {
				require.Empty(t, first, "a restart reads from scratch")
				require.Len(t, run2Users, users)
			}

			all, groups := e.liveIDs()
			seen := map[string]bool{}
			for _, c := range append(run1.changes, run2.changes...) {
				seen[c.GetObject().GetObjectId()] = true
			}
			for id := range all {
				require.True(t, seen[id], "user %s never published", id)
			}
			for id := range groups {
				require.True(t, seen[id], "group %s never published", id)
			}
			// Message ids never repeat across runs: a re-read page may carry
			// newer data that de-duplication must not drop.
			ids := map[string]bool{}
			for _, id := range append(run1.msgIDs, run2.msgIDs...) {
				require.False(t, ids[id], "message id %s reused", id)
				ids[id] = true
			}

			ends := e.cycleEnds()
			require.Len(t, ends, 1)
			require.Equal(t, tc.rerun.GetCycleId(), ends[0].GetCycleId())
			// The rerun of the same cycle counts the crashed run's committed
			// pages too (all of run 1's: it died before fetching page 4).
			want := len(run2.changes)
			if tc.rerun.GetCycleId() == tc.first.GetCycleId() {
				want += len(run1.changes)
			}
			require.EqualValues(t, want, ends[0].GetChangesPublished())
			for _, typ := range []redisx.ObjectType{redisx.Users, redisx.Groups} {
				wm := e.watermark(typ)
				require.NotEmpty(t, wm.DeltaLink, typ)
				require.Empty(t, wm.NextLink, typ)
				require.False(t, wm.FullImport, typ)
			}

			// The watermark is consistent: the next delta is empty.
			require.NoError(t, e.reader.RunCycle(ctxT(t), start("c3", delta)))
			require.Empty(t, e.drainChanges().changes)
		})
	}
}
