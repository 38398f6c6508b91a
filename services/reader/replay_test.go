package reader_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/reader"
)

// dieOnCommit is the watermark store of a reader killed after a users page
// was queued (published, acknowledged by JetStream) and before its
// NextLink was committed: the commit of the users page number at fails
// and cancels the run.
type dieOnCommit struct {
	redisx.WatermarkStore
	at     int
	cancel context.CancelFunc

	mu    sync.Mutex
	pages int
}

func (d *dieOnCommit) Commit(ctx context.Context, cfg string, t redisx.ObjectType, rev uint64, next redisx.Watermark) (redisx.Watermark, error) {
	if t == redisx.Users && next.NextLink != "" {
		d.mu.Lock()
		d.pages++
		die := d.pages == d.at
		d.mu.Unlock()
		if die {
			d.cancel()
			return redisx.Watermark{}, context.Canceled
		}
	}
	return d.WatermarkStore.Commit(ctx, cfg, t, rev, next)
}

// TestRerunDoesNotRepublishQueuedPage kills a reader between a page's
// publish and its commit and reruns the cycle: the rerun reads that page
// again, and JetStream drops the copy (same content, same message ids),
// so every object reaches the transformers once and CycleEnd counts each
// once. A page that changed in between goes out again with the new data.
func TestRerunDoesNotRepublishQueuedPage(t *testing.T) {
	t.Parallel()
	const users, pageSize, dieAt = 300, 50, 3
	for _, tc := range []struct {
		name    string
		changed bool // a user of the re-read page changes before the rerun
	}{
		{"page unchanged: the copy is dropped", false},
		{"page changed: the newer copy goes out", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{users: users, groups: 3, pageSize: pageSize})
			ctx, cancel := context.WithCancel(ctxT(t))
			crashing, err := reader.New(e.cfg, reader.Deps{Sources: e.sources, JetStream: e.js,
				Watermarks: &dieOnCommit{WatermarkStore: e.wm, at: dieAt, cancel: cancel}, Logger: testLogger(t)})
			require.NoError(t, err)
			require.ErrorIs(t, crashing.RunCycle(ctx, start("c1", delta)), context.Canceled)
			run1 := e.drainChanges()
			require.Len(t, run1.ofType(commonv1.ObjectType_OBJECT_TYPE_USER), dieAt*pageSize,
				"the page whose commit failed was queued")

			var changed string
			if tc.changed {
				// A user of the queued, uncommitted page.
				last := run1.changes[len(run1.changes)-1].GetObject().GetObjectId()
				require.NoError(t, e.tenant.UpdateUser(last, func(u *graphsim.User) { u.JobTitle = "changed meanwhile" }))
				changed = last
			}
			require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
			run2 := e.drainChanges()

			count := map[string]int{}
			for _, c := range append(run1.changes, run2.changes...) {
				count[c.GetObject().GetObjectId()]++
			}
			all, groups := e.liveIDs()
			for id := range groups {
				all[id] = true
			}
			require.Len(t, count, len(all), "every object published")
			for id, n := range count {
				switch {
				case id == changed:
					require.Equal(t, 2, n, "the changed user goes out again")
				case changed != "" && natsx.ShardOf(id, e.topo.ChangeShards) == natsx.ShardOf(changed, e.topo.ChangeShards):
					// Its batch went out again with it (one number per batch).
					require.LessOrEqual(t, n, 2, "object %s", id)
				default:
					require.Equal(t, 1, n, "object %s published %d times", id, n)
				}
			}
			if tc.changed {
				require.Equal(t, "changed meanwhile", attrString(t, run2.byID()[changed], "jobTitle"))
			}
			ends := e.cycleEnds()
			require.Len(t, ends, 1)
			// The rerun counts the page it read again (the crashed run had
			// not committed it): each object once. (A changed batch's
			// first copy is not counted: README, gaps.)
			require.EqualValues(t, len(count), ends[0].GetChangesPublished())
		})
	}
}
