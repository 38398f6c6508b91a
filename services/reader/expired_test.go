package reader_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// TestExpiredDeltaLinkFallsBackToFullImport ages the delta links past what
// Graph keeps (400 syncStateNotFound after 7 days, 410 after 30): the next
// DELTA cycle reads everything again instead of failing forever.
func TestExpiredDeltaLinkFallsBackToFullImport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		age  time.Duration
	}{
		{"syncStateNotFound", 8 * 24 * time.Hour},
		{"resyncRequired", 40 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{users: 250, groups: 4, pageSize: 100})
			require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
			first := e.drainChanges()
			old := e.watermark(redisx.Users)

			e.clock.Advance(tc.age)
			e.sources.Set(testCfg, e.newClient()) // the old token expired too
			require.NoError(t, e.reader.RunCycle(ctxT(t), start("c2", delta)))
			again := e.drainChanges()
			require.Equal(t, first.kinds(), again.kinds(), "the whole tenant again")

			wm := e.watermark(redisx.Users)
			require.NotEmpty(t, wm.DeltaLink)
			require.NotEqual(t, old.DeltaLink, wm.DeltaLink)
			require.Equal(t, "c2", wm.CycleID)
			require.NoError(t, e.reader.RunCycle(ctxT(t), start("c3", delta)))
			require.Empty(t, e.drainChanges().changes)
		})
	}
}
