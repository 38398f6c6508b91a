package transformer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// TestReferencesResolvedInChunks: a group's members are resolved to target
// ids a few thousand entries at a time (the transformer keeps only their
// ids); across those reads every member resolves as its entry says: Active
// and Disabled entries to their target ids, the others pending, and a
// member that is itself an object of the batch from its own entry.
func TestReferencesResolvedInChunks(t *testing.T) {
	t.Parallel()
	srv := newFixture(t, nil, func(r *spec.Rules) {
		r.Assignments.Groups = append(r.Assignments.Groups, "g-huge")
	})
	const n = 4_500 // more than two reads of members
	members := make([]string, n)
	var entries []redisx.Entry
	var wantDesired, wantPending []string
	for i := range members {
		id := fmt.Sprintf("m%05d", i)
		members[i] = id
		e := redisx.Entry{SourceID: id, Type: redisx.Users, TargetID: "t-" + id, State: redisx.Active,
			Since: now.Add(-time.Hour), CreatedBySync: true, Version: 1}
		switch i % 5 {
		case 1:
			e.State = redisx.Disabled
		case 2:
			e.State = redisx.SoftDeleted
		case 3:
			e.TargetID = "" // a create whose outcome never came back
		case 4:
			if i != n-1 { // the last member is an object of the batch
				wantPending = append(wantPending, id)
				continue // never provisioned
			}
		}
		entries = append(entries, e)
		if i == n-1 || e.TargetID != "" && (e.State == redisx.Active || e.State == redisx.Disabled) {
			wantDesired = append(wantDesired, "t-"+id)
		} else {
			wantPending = append(wantPending, id)
		}
	}
	entries[len(entries)-1].TargetID, entries[len(entries)-1].State = "t-"+members[n-1], redisx.Active
	errs, err := srv.cds.PutMany(ctxT(t), cfgID, entries)
	require.NoError(t, err)
	for _, e := range errs {
		require.NoError(t, e)
	}
	res, err := srv.tr.Process(ctxT(t), batch(1, group("g-huge", members), user(members[n-1])))
	require.NoError(t, err)
	var desired, pending []string
	for _, wi := range res.Intents.GetIntents() {
		if wi.GetSource().GetObjectId() != "g-huge" {
			continue
		}
		sets := redisx.NewMemberSets(srv.rdb)
		desired, err = sets.Get(ctxT(t), cfgID, wi.GetDesiredMemberSet())
		require.NoError(t, err)
		pending, err = sets.Get(ctxT(t), cfgID, wi.GetPendingSourceMemberSet())
		require.NoError(t, err)
	}
	require.Equal(t, wantDesired, desired)
	require.Equal(t, wantPending, pending)
}
