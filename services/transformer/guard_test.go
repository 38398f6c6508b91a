package transformer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

var five = []string{"u1", "u2", "u3", "u4", "u5"}

// threshold assigns five users and sets the deletion threshold to n.
func threshold(n int) func(*spec.Rules) {
	return func(r *spec.Rules) {
		r.AccidentalDeletion.Threshold = &n
		r.Assignments.Users = five
	}
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

func cycleEnd(id string) *eventsv1.CycleEnd {
	// The reader's clock, a little after the last transformed batch.
	return &eventsv1.CycleEnd{ConfigurationId: cfgID, CycleId: id, FinishedAt: timestamppb.New(time.Now().Add(time.Millisecond)),
		Mode: eventsv1.CycleMode_CYCLE_MODE_DELTA}
}

// TestDeletionGuardKeepsEveryDeprovision: before the cycle end nothing
// deprovisioning is published, whatever the count.
func TestDeletionGuardKeepsEveryDeprovision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, threshold(2))
	b := batch(3, contractors(f)...)
	res, err := f.tr.Process(ctxT(t), b)
	require.NoError(t, err)
	require.Empty(t, res.Intents.GetIntents(), "every deprovision waits for the cycle end")
	require.Len(t, res.Pending, 5)
	require.Empty(t, res.Held)
	require.EqualValues(t, 5, res.Deprovisions)

	// Redelivered: the same answer, the count unchanged.
	again, err := f.tr.Process(ctxT(t), b)
	require.NoError(t, err)
	require.EqualValues(t, 5, again.Deprovisions)
	require.Equal(t, ids(res.Pending), ids(again.Pending))
	require.Empty(t, again.Intents.GetIntents())
	n, err := f.tr.HeldCount(ctxT(t), cfgID, cycle)
	require.NoError(t, err)
	require.Zero(t, n, "pending is not held: the scheduler must not pause yet")

	// Another cycle counts from zero.
	other := batch(3, user("u1", "department", "Contractors"))
	other.CycleId = "c2"
	res, err = f.tr.Process(ctxT(t), other)
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Deprovisions)
}

func TestDeletionGuardBypassed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		mut  func(*spec.Rules)
		mode eventsv1.CycleMode
	}{
		{"threshold off", func(r *spec.Rules) {
			no := false
			r.AccidentalDeletion.Enabled = &no
			r.Assignments.Users = five
		}, eventsv1.CycleMode_CYCLE_MODE_DELTA},
		{"on demand", threshold(2), eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil, c.mut)
			b := batch(3, contractors(f)...)
			b.Mode = c.mode
			res, err := f.tr.Process(ctxT(t), b)
			require.NoError(t, err)
			if c.mode == eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND {
				require.Len(t, res.Intents.GetIntents(), 5)
				require.Empty(t, res.Pending)
			} else {
				// Released at the cycle end, after the groups are written.
				require.Empty(t, res.Intents.GetIntents())
				require.Len(t, res.Pending, 5)
			}
			require.Empty(t, res.Held)
		})
	}
}

// TestDeletionThresholdPerCycle runs the whole path over NATS: a cycle
// within the threshold publishes every deprovision at its end; one over
// it publishes none and signals them held; a redelivered CycleEnd or batch
// changes nothing; a force release publishes them all, once.
func TestDeletionThresholdPerCycle(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		threshold int
		hold      bool
	}{
		{"count equals threshold", 5, false},
		{"threshold plus one", 4, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newNATSFixture(t, threshold(c.threshold))
			changes := contractors(f.fixture)
			inputs := f.publishBatches(4, changes...)
			redelivered := f.shardBatches(4, changes...)
			stop := f.run(f.tr)
			got := f.intentBatches(len(inputs))
			for _, ib := range got {
				require.Empty(t, ib.GetIntents(), "nothing deprovisions before the cycle end")
			}
			require.Eventually(t, func() bool { return f.streamMsgs(natsx.StreamChanges) == 0 }, 10*time.Second, 20*time.Millisecond)

			// The reader's CycleEnd, after the drain.
			f.publishEnd(cycleEnd(cycle), cycle+"/end")
			var released []string
			var outcomes []*eventsv1.WriteOutcome
			require.Eventually(t, func() bool {
				released = append(released, f.takeIntents(cycle+"/release/")...)
				outcomes = append(outcomes, f.takeHeldSignal()...)
				return len(released)+len(outcomes) >= 5
			}, 10*time.Second, 20*time.Millisecond)
			require.NoError(t, stop())
			heldKey := "xtsync:{" + cfgID + "}:cycle:" + cycle + ":held"
			exists, err := f.rdb.Exists(ctxT(t), heldKey).Result()
			require.NoError(t, err)
			if !c.hold {
				require.Len(t, released, 5)
				require.Empty(t, outcomes)
				require.Zero(t, exists, "no pause signal")
			} else {
				require.Empty(t, released, "the cycle deletes nothing")
				require.Len(t, outcomes, 5)
				for _, o := range outcomes {
					require.False(t, o.GetSuccess())
					require.Equal(t, transformer.CodeDeletionThresholdExceeded, o.GetError().GetCode())
					require.Contains(t, o.GetError().GetMessage(), "5 deprovisions")
					require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_DELETE, o.GetAction())
					require.NotEmpty(t, o.GetLogJson())
				}
				require.EqualValues(t, 1, exists, "the scheduler's pause signal")
			}

			// Redelivered CycleEnd: the recorded decision, nothing new.
			d, err := f.tr.DecideCycle(ctxT(t), cycleEnd(cycle))
			require.NoError(t, err)
			require.Equal(t, map[bool]string{false: "release", true: "hold"}[c.hold], d.Decision)
			require.EqualValues(t, 5, d.Count)
			require.Empty(t, f.takeIntents(""), "nothing published again")
			require.Empty(t, f.takeHeldSignal(), "the signal deduplicated")

			// Redelivered batches: the count and the decision stand.
			var held, published int
			for _, b := range redelivered {
				res, err := f.tr.Process(ctxT(t), b)
				require.NoError(t, err)
				require.EqualValues(t, 5, res.Deprovisions)
				require.Empty(t, res.Pending)
				held += len(res.Held)
				published += len(res.Intents.GetIntents())
			}
			if c.hold {
				require.Equal(t, 5, held)
				require.Zero(t, published)
			} else {
				require.Zero(t, held)
				require.Equal(t, 5, published, "released: under the original msg ids, which JetStream drops")
			}

			// Force release (restart with force-deletes).
			n, err := f.tr.ReleaseHeld(ctxT(t), cfgID, cycle)
			require.NoError(t, err)
			if !c.hold {
				require.Zero(t, n)
				return
			}
			require.Equal(t, 5, n)
			var forced []string
			require.Eventually(t, func() bool {
				forced = append(forced, f.takeIntents(cycle+"/held/")...)
				return len(forced) >= 5
			}, 10*time.Second, 20*time.Millisecond)
			var heldIDs []string
			for _, o := range outcomes {
				heldIDs = append(heldIDs, o.GetIntentId())
			}
			require.ElementsMatch(t, heldIDs, forced)
			n, err = f.tr.ReleaseHeld(ctxT(t), cfgID, cycle)
			require.NoError(t, err)
			require.Zero(t, n, "released once")
			require.Empty(t, f.takeIntents(""))
			// A late batch of the released cycle holds nothing more.
			late, err := f.tr.Process(ctxT(t), batch(9, user("u1", "department", "Contractors")))
			require.NoError(t, err)
			require.Empty(t, late.Held)
			require.Empty(t, late.Pending)
		})
	}
}

// TestDeletionThresholdStoppedCycle: a cycle stopped before its end leaves
// pending deprovisions; the next cycle end of the configuration counts and
// decides them with its own.
func TestDeletionThresholdStoppedCycle(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		threshold int
		decision  string
	}{
		{"together within", 5, "release"},
		{"together over", 4, "hold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newNATSFixture(t, threshold(c.threshold))
			changes := contractors(f.fixture)
			// c0 deprovisions u1 and u2, c1 u2 to u5: five objects.
			stopped := batch(1, changes[:2]...)
			stopped.CycleId = "c0"
			_, err := f.tr.Process(ctxT(t), stopped)
			require.NoError(t, err)
			_, err = f.tr.Process(ctxT(t), batch(2, changes[1:]...))
			require.NoError(t, err)

			d, err := f.tr.DecideCycle(ctxT(t), cycleEnd(cycle))
			require.NoError(t, err)
			require.Equal(t, c.decision, d.Decision)
			require.EqualValues(t, 5, d.Count)
			require.Equal(t, []string{cycle, "c0"}, d.Cycles)
			left, err := f.rdb.Exists(ctxT(t), "xtsync:{"+cfgID+"}:cycle:c0:pending", "xtsync:{"+cfgID+"}:deprovisions:undecided").Result()
			require.NoError(t, err)
			require.Zero(t, left, "the stopped cycle is decided")
			var out []string
			if c.decision == "release" {
				require.Equal(t, 5, d.Released)
				out = f.takeIntents(cycle + "/release/")
			} else {
				require.Equal(t, 5, d.Held)
				for _, o := range f.takeHeldSignal() {
					out = append(out, o.GetIntentId())
				}
			}
			require.Len(t, out, 5)
			bySource := map[string]string{}
			for _, id := range out {
				parts := strings.Split(id, "/")
				bySource[parts[1]] = parts[0]
			}
			require.Equal(t, map[string]string{"u1": "c0", "u2": cycle, "u3": cycle, "u4": cycle, "u5": cycle}, bySource,
				"u2 once, as the ending cycle decided it")
			if c.decision == "release" {
				return
			}
			n, err := f.tr.HeldCount(ctxT(t), cfgID, cycle)
			require.NoError(t, err)
			require.Equal(t, 5, n, "held under the ending cycle, which the scheduler pauses on")
		})
	}
}

// TestDeletionThresholdOnDemandEnd: an on-demand cycle end decides nothing.
func TestDeletionThresholdOnDemandEnd(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t, threshold(2))
	_, err := f.tr.Process(ctxT(t), batch(1, contractors(f.fixture)...))
	require.NoError(t, err)
	end := cycleEnd("od1")
	end.Mode = eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND
	d, err := f.tr.DecideCycle(ctxT(t), end)
	require.NoError(t, err)
	require.Empty(t, d.Decision)
	require.Empty(t, f.takeIntents(""))
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
	f := newNATSFixture(t, threshold(2))
	res, err := f.tr.Process(ctxT(t), batch(3, contractors(f.fixture)...))
	require.NoError(t, err)
	require.Len(t, res.Pending, 5)
	d, err := f.tr.DecideCycle(ctxT(t), cycleEnd(cycle))
	require.NoError(t, err)
	require.Equal(t, "hold", d.Decision)
	require.Len(t, f.takeHeldSignal(), 5)

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
		return len(released) >= 5
	}, 10*time.Second, 20*time.Millisecond)
	require.ElementsMatch(t, ids(res.Pending), released)
	require.NoError(t, stop())
	n, err := f.rdb.Exists(ctxT(t), key).Result()
	require.NoError(t, err)
	require.Zero(t, n, "approval claimed")
}

// publishEnd publishes a CycleEnd like the reader.
func (n *natsFixture) publishEnd(end *eventsv1.CycleEnd, msgID string) {
	n.t.Helper()
	subj, err := natsx.CycleSubject(end.GetConfigurationId(), natsx.CycleVerbEnd)
	require.NoError(n.t, err)
	p, err := natsx.NewPublisher(n.js, natsx.PublisherOptions{})
	require.NoError(n.t, err)
	require.NoError(n.t, p.Publish(ctxT(n.t), subj, end, msgID))
	require.NoError(n.t, p.WaitAll(ctxT(n.t)))
}

// takeIntents takes what the writer shards hold and returns the intent ids
// of messages whose id starts with prefix; any other message fails.
func (n *natsFixture) takeIntents(prefix string) []string {
	n.t.Helper()
	var out []string
	for k := range n.topo.IntentShards {
		for _, r := range n.fetch(ctxT(n.t), natsx.StreamIntents, natsx.WriterConsumer(k), 100) {
			require.True(n.t, strings.HasPrefix(r.msgID, prefix), r.msgID)
			var ib eventsv1.IntentBatch
			require.NoError(n.t, proto.Unmarshal(r.data, &ib))
			out = append(out, ids(ib.GetIntents())...)
		}
	}
	return out
}

// takeHeldSignal takes the outcomes the log service would get.
func (n *natsFixture) takeHeldSignal() []*eventsv1.WriteOutcome {
	n.t.Helper()
	var out []*eventsv1.WriteOutcome
	for _, r := range n.fetch(ctxT(n.t), natsx.StreamOutcomes, natsx.ConsumerSynclogOutcomes, 100) {
		require.True(n.t, strings.HasPrefix(r.msgID, cycle+"/held/"), r.msgID)
		var ob eventsv1.OutcomeBatch
		require.NoError(n.t, proto.Unmarshal(r.data, &ob))
		out = append(out, ob.GetOutcomes()...)
	}
	return out
}
