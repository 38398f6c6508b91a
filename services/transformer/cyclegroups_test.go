package transformer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/transformer"
)

// TestScopeOnlyGroups: the groups' scope pass of a cycle publishes no
// intents, still puts the members of assigned groups in scope, and keeps
// the latest observed change of each group (a redelivered or older batch
// changes nothing) for the groups provisioning round, whose decision then
// carries the members written in between.
func TestScopeOnlyGroups(t *testing.T) {
	t.Parallel()
	n := newNATSFixture(t)
	ctx := ctxT(t)
	stop := n.run(n.tr)

	staff := group("g-staff", []string{"u7", "u8"})
	p, err := natsx.NewPublisher(n.js, natsx.PublisherOptions{})
	require.NoError(t, err)
	for _, b := range n.shardBatches(1, staff, group("g-other", []string{"u9"})) {
		b.ScopeOnly = true
		subj, err := natsx.ChangeSubject(cfgID, b.GetChanges()[0].GetObject().GetObjectId(), n.topo.ChangeShards)
		require.NoError(t, err)
		require.NoError(t, p.Publish(ctx, subj, b, cycle+"/groups/1/"+itoa(int64(b.GetShard()))))
	}
	require.NoError(t, p.WaitAll(ctx))
	require.Eventually(t, func() bool { return n.streamMsgs(natsx.StreamChanges) == 0 }, time.Minute, 10*time.Millisecond)
	require.NoError(t, stop())
	require.Zero(t, n.streamMsgs(natsx.StreamIntents), "a scope-only batch is no work for writers")

	store := transformer.NewCycleGroups(n.rdb, time.Hour)
	listed := func() map[string]*eventsv1.SourceChange {
		chs, err := store.List(ctx, cfgID, cycle)
		require.NoError(t, err)
		out := map[string]*eventsv1.SourceChange{}
		for _, ch := range chs {
			out[ch.GetObject().GetObjectId()] = ch
		}
		return out
	}
	got := listed()
	require.Len(t, got, 2)
	require.True(t, proto.Equal(staff, got["g-staff"]), "stored as read")
	ttl, err := n.rdb.PTTL(ctx, "xtsync:{"+cfgID+"}:cycle:"+cycle+":groups").Result()
	require.NoError(t, err)
	require.Positive(t, ttl, "expires with the cycle state")

	// The scope is known: a member of the assigned group is created.
	wi := n.one(user("u7"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), wi.GetLogJson())

	scopeOnly := func(ch *eventsv1.SourceChange) {
		b := batch(1, ch)
		b.ScopeOnly = true
		res, err := n.tr.Process(ctx, b)
		require.NoError(t, err)
		require.Empty(t, res.Intents.GetIntents())
		require.Empty(t, res.Pending)
	}
	scopeOnly(staff) // redelivered
	require.Len(t, listed(), 2)
	require.True(t, proto.Equal(staff, listed()["g-staff"]))
	older := group("g-staff", []string{"u8"})
	older.ObservedAt = timestamppb.New(now.Add(-time.Hour))
	scopeOnly(older)
	require.True(t, proto.Equal(staff, listed()["g-staff"]), "an older change does not replace a newer one")
	newer := group("g-staff", []string{"u7", "u8", "u1"})
	newer.ObservedAt = timestamppb.New(now.Add(time.Minute))
	scopeOnly(newer)
	require.True(t, proto.Equal(newer, listed()["g-staff"]))

	// The provisioning round, after the users were written: members resolve.
	n.provision(user("u7"), redisx.Active, now.Add(-time.Hour))
	n.provision(user("u8"), redisx.Active, now.Add(-time.Hour))
	res, err := n.tr.Process(ctx, batch(2, listed()["g-staff"]))
	require.NoError(t, err)
	require.Len(t, res.Intents.GetIntents(), 1)
	gw := res.Intents.GetIntents()[0]
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, gw.GetAction(), gw.GetLogJson())
	require.ElementsMatch(t, []string{"t-u7", "t-u8"}, gw.GetDesiredMemberIds())
	require.Equal(t, []string{"u1"}, gw.GetPendingSourceMemberIds(), "u1 is not written yet")
}
