package transformer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

// TestMembersBySet: a group whose members come as a member set (the
// reader's reference for more than redisx.InlineMembers) is decided on the
// complete list, and its intent carries the desired and pending members
// inline up to redisx.InlineMembers and as member sets beyond, so the
// IntentBatch stays bounded whatever the group's size.
func TestMembersBySet(t *testing.T) {
	t.Parallel()
	srv := newFixture(t, nil, func(r *spec.Rules) {
		r.Assignments.Groups = append(r.Assignments.Groups, "g-big0", "g-big1", "g-big2", "g-gone")
	})
	sets := redisx.NewMemberSets(srv.rdb)
	members := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("m%05d", i)
		}
		return out
	}
	all := members(redisx.InlineMembers + 1)
	for _, id := range all[:redisx.InlineMembers] { // the last one is not provisioned
		require.NoError(t, srv.cds.Put(ctxT(t), cfgID, redisx.Entry{SourceID: id, Type: redisx.Users,
			TargetID: "t-" + id, State: redisx.Active, Since: now.Add(-time.Hour), CreatedBySync: true, Version: 1}))
	}
	tests := []struct {
		name             string
		members          []string
		wantSet          bool // desired and pending go by reference
		desired, pending int
	}{
		{"at the bound: inline", all[:redisx.InlineMembers], false, redisx.InlineMembers, 0},
		{"one over: by reference", all, true, redisx.InlineMembers, 1},
		{"small: inline", all[:3], false, 3, 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := group(fmt.Sprintf("g-big%d", i), nil)
			set, err := sets.Put(ctxT(t), cfgID, tc.members)
			require.NoError(t, err)
			ch.MemberSet = set
			res, err := srv.tr.Process(ctxT(t), batch(1, ch))
			require.NoError(t, err)
			require.Len(t, res.Intents.GetIntents(), 1)
			wi := res.Intents.GetIntents()[0]
			require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), wi.GetLogJson())
			desired, pending := wi.GetDesiredMemberIds(), wi.GetPendingSourceMemberIds()
			if tc.wantSet {
				require.Empty(t, desired)
				require.Empty(t, pending)
				desired, err = sets.Get(ctxT(t), cfgID, wi.GetDesiredMemberSet())
				require.NoError(t, err)
				pending, err = sets.Get(ctxT(t), cfgID, wi.GetPendingSourceMemberSet())
				require.NoError(t, err)
				require.Less(t, proto.Size(res.Intents), 8<<10, "the intent does not grow with the group")
			} else {
				require.Empty(t, wi.GetDesiredMemberSet())
			}
			require.Len(t, desired, tc.desired)
			require.Len(t, pending, tc.pending)
			require.Equal(t, "t-"+all[0], desired[0])
			require.Contains(t, attributesOf(wi), "members")
		})
	}

	// A set gone from Redis cannot be retried into existence: the batch
	// is refused permanently, never decided on an empty member list.
	ch := group("g-gone", nil)
	ch.MemberSet = redisx.MemberSetID(all)[:2] + "deadbeef"
	_, err := srv.tr.Process(ctxT(t), batch(2, ch))
	require.Error(t, err)
	require.True(t, natsx.IsPermanent(err), "%v", err)
}

// TestScopePassKeepsMemberSet: the scope pass tracks the assigned group's
// complete membership from the set, and stores the change for the groups
// provisioning round with its reference (the round's message stays small).
func TestScopePassKeepsMemberSet(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sets := redisx.NewMemberSets(f.rdb)
	ids := make([]string, 2*redisx.InlineMembers)
	for i := range ids {
		ids[i] = fmt.Sprintf("u-%05d", i)
	}
	set, err := sets.Put(ctxT(t), cfgID, ids)
	require.NoError(t, err)
	ch := group("g-staff", nil)
	ch.MemberSet = set
	b := batch(1, ch)
	b.ScopeOnly = true
	_, err = f.tr.Process(ctxT(t), b)
	require.NoError(t, err)

	wi := f.one(user(ids[len(ids)-1]))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), "the set's last member is assigned: %s", wi.GetLogJson())
	require.NotEqual(t, string(rules.NotEffectivelyEntitled), wi.GetCode())

	stored, err := transformer.NewCycleGroups(f.rdb, time.Hour).List(ctxT(t), cfgID, cycle)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.Equal(t, set, stored[0].GetMemberSet())
	require.Empty(t, stored[0].GetMemberIds())
}
