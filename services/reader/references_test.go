package reader_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// TestReferencesRoundAfterUsersWritten: the users the transformers kept
// for the references round (their manager was not written yet) are
// published once more, after every user change was consumed and the
// configuration's intents were acked, flagged references, under
// "<cycle>/references/..." message ids, and not counted: CycleEnd counts
// each object once. A rerun of the cycle publishes the same batches, which
// JetStream drops.
func TestReferencesRoundAfterUsersWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 60, groups: 3, pageSize: 25})
	e.groups = &memGroups{m: map[string]*eventsv1.SourceChange{}}
	refs := &memGroups{m: map[string]*eventsv1.SourceChange{}}
	e.refs = refs
	e.cfg.EndBarrier = true // RunCycle returns once the stub consumed everything
	e.reader = e.newReader()
	ctx := ctxT(t)
	_, err := e.js.Publish(ctx, "xtsync.intents.tb."+testCfg+".0", []byte("x")) // an unfinished write
	require.NoError(t, err)
	intents, err := e.js.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(0))
	require.NoError(t, err)

	users, groups := e.liveIDs()
	st := &stubTransformer{e: e, groups: e.groups.(*memGroups), users: len(users), intentsCons: intents, refs: refs}
	stubCtx, stopStub := context.WithCancel(ctx)
	stubDone := make(chan struct{})
	go func() { defer close(stubDone); st.run(stubCtx) }()
	defer func() { stopStub(); <-stubDone }()

	require.NoError(t, e.reader.RunCycle(ctx, start("c1", full)))
	kept, err := refs.List(ctx, testCfg, "c1")
	require.NoError(t, err)
	require.NotEmpty(t, kept)
	st.mu.Lock()
	require.False(t, st.refsEarly, "references round published before the users were written")
	require.Len(t, st.refChanges, len(kept), "each kept user once")
	for _, id := range st.refIDs {
		require.True(t, strings.HasPrefix(id, "c1/references/"), id)
	}
	for _, ch := range st.refChanges {
		require.Equal(t, commonv1.ObjectType_OBJECT_TYPE_USER, ch.GetObject().GetType())
	}
	st.mu.Unlock()
	ends := e.cycleEnds()
	require.Len(t, ends, 1)
	require.EqualValues(t, len(users)+len(groups), ends[0].GetChangesPublished(), "the references round is not counted")

	// A rerun of the cycle (redelivered CycleStart): same stored users,
	// same message ids, nothing new on the stream.
	require.NoError(t, e.reader.RunCycle(ctx, start("c1", full)))
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Len(t, st.refChanges, len(kept), "dropped as duplicates")
}
