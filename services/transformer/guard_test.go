package transformer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

var five = []string{"u1", "u2", "u3", "u4", "u5"}

// thresholdTwo assigns five users and sets the deletion threshold to 2.
func thresholdTwo(r *spec.Rules) {
	two := 2
	r.AccidentalDeletion.Threshold = &two
	r.Assignments.Users = five
}

// contractors provisions the five users and returns their out-of-scope
// changes (five deprovisions).
func contractors(f *fixture) []*eventsv1.SourceChange {
	var out []*eventsv1.SourceChange
	for _, id := range five {
		f.provision(user(id), redisx.Active, now.Add(-time.Hour))
		out = append(out, user(id, "department", "Contractors"))
	}
	return out
}

func TestDeletionThresholdHolds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, thresholdTwo)
	b := batch(3, contractors(f)...)
	res, err := f.tr.Process(ctxT(t), b)
	require.NoError(t, err)
	require.Len(t, res.Intents.GetIntents(), 2, "the first two deprovisions pass")
	require.Len(t, res.Held, 3)
	require.EqualValues(t, 5, res.Deprovisions)
	for _, wi := range res.Held {
		require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, wi.GetAction())
	}

	// Redelivered: the same split, the count unchanged.
	again, err := f.tr.Process(ctxT(t), b)
	require.NoError(t, err)
	require.EqualValues(t, 5, again.Deprovisions)
	require.Equal(t, ids(res.Held), ids(again.Held))
	require.Equal(t, ids(res.Intents.GetIntents()), ids(again.Intents.GetIntents()))
	n, err := f.tr.HeldCount(ctxT(t), cfgID, cycle)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	// Another cycle counts from zero.
	other := batch(3, user("u1", "department", "Contractors"))
	other.CycleId = "c2"
	res, err = f.tr.Process(ctxT(t), other)
	require.NoError(t, err)
	require.Empty(t, res.Held)
}

func TestDeletionThresholdOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(r *spec.Rules) {
		no := false
		r.AccidentalDeletion.Enabled = &no
		r.Assignments.Users = five
	})
	res, err := f.tr.Process(ctxT(t), batch(3, contractors(f)...))
	require.NoError(t, err)
	require.Len(t, res.Intents.GetIntents(), 5)
	require.Empty(t, res.Held)
}

// TestDeletionThresholdSignalAndRelease runs the whole path: held intents
// are not published, the log service gets DeletionThresholdExceeded
// outcomes, and ReleaseHeld publishes them once.
func TestDeletionThresholdSignalAndRelease(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t, thresholdTwo)
	inputs := f.publishBatches(4, contractors(f.fixture)...)
	stop := f.run(f.tr)
	got := f.intentBatches(len(inputs))
	require.Eventually(t, func() bool { return f.streamMsgs(natsx.StreamChanges) == 0 }, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, stop())
	published := 0
	for _, ib := range got {
		published += len(ib.GetIntents())
	}
	require.Equal(t, 2, published)

	var outcomes []*eventsv1.WriteOutcome
	for _, r := range f.fetch(ctxT(t), natsx.StreamOutcomes, natsx.ConsumerSynclogOutcomes, 100) {
		require.True(t, strings.HasSuffix(r.msgID, "/held"), r.msgID)
		var ob eventsv1.OutcomeBatch
		require.NoError(t, proto.Unmarshal(r.data, &ob))
		outcomes = append(outcomes, ob.GetOutcomes()...)
	}
	require.Len(t, outcomes, 3)
	for _, o := range outcomes {
		require.False(t, o.GetSuccess())
		require.Equal(t, transformer.CodeDeletionThresholdExceeded, o.GetError().GetCode())
		require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, o.GetAction())
	}

	n, err := f.tr.ReleaseHeld(ctxT(t), cfgID, cycle)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	var relIDs []string
	require.Eventually(t, func() bool {
		for k := range f.topo.IntentShards {
			for _, r := range f.fetch(ctxT(t), natsx.StreamIntents, natsx.WriterConsumer(k), 100) {
				require.True(t, strings.HasPrefix(r.msgID, cycle+"/held/"), r.msgID)
				var ib eventsv1.IntentBatch
				require.NoError(t, proto.Unmarshal(r.data, &ib))
				relIDs = append(relIDs, ids(ib.GetIntents())...)
			}
		}
		return len(relIDs) >= 3
	}, 10*time.Second, 20*time.Millisecond)
	var heldIDs []string
	for _, o := range outcomes {
		heldIDs = append(heldIDs, o.GetIntentId())
	}
	require.ElementsMatch(t, heldIDs, relIDs)

	n, err = f.tr.ReleaseHeld(ctxT(t), cfgID, cycle)
	require.NoError(t, err)
	require.Zero(t, n, "released once")
	// A late batch of the released cycle holds nothing more.
	late := batch(9, user("u1", "department", "Contractors"))
	res, err := f.tr.Process(ctxT(t), late)
	require.NoError(t, err)
	require.Empty(t, res.Held)
}

func ids(wis []*eventsv1.WriteIntent) []string {
	out := make([]string, len(wis))
	for i, wi := range wis {
		out[i] = wi.GetIntentId()
	}
	return out
}

// TestForceDeletesApproval: the scheduler's approval key makes the next
// batch (of the restart's new cycle) release the held deletions first.
func TestForceDeletesApproval(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t, thresholdTwo)
	res, err := f.tr.Process(ctxT(t), batch(3, contractors(f.fixture)...))
	require.NoError(t, err)
	require.Len(t, res.Held, 3)

	key := "xtsync:{" + cfgID + "}:force-deletes"
	require.NoError(t, f.rdb.Set(ctxT(t), key, cycle, 0).Err())
	next := batch(1, user("u1"))
	next.CycleId = "c2"
	subj, err := natsx.ChangeSubject(cfgID, "u1", f.topo.ChangeShards)
	require.NoError(t, err)
	p, err := natsx.NewPublisher(f.js, natsx.PublisherOptions{})
	require.NoError(t, err)
	require.NoError(t, p.Publish(ctxT(t), subj, next, "c2/users/1/x"))
	require.NoError(t, p.WaitAll(ctxT(t)))
	stop := f.run(f.tr)

	var released []string
	require.Eventually(t, func() bool {
		for k := range f.topo.IntentShards {
			for _, r := range f.fetch(ctxT(t), natsx.StreamIntents, natsx.WriterConsumer(k), 100) {
				var ib eventsv1.IntentBatch
				require.NoError(t, proto.Unmarshal(r.data, &ib))
				if strings.HasPrefix(r.msgID, cycle+"/held/") {
					released = append(released, ids(ib.GetIntents())...)
				}
			}
		}
		return len(released) >= 3
	}, 10*time.Second, 20*time.Millisecond)
	require.ElementsMatch(t, ids(res.Held), released)
	require.NoError(t, stop())
	n, err := f.rdb.Exists(ctxT(t), key).Result()
	require.NoError(t, err)
	require.Zero(t, n, "approval claimed")
}
