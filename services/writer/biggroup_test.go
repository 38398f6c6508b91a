package writer_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/writer"
)

// TestBigGroupMembersBySet: a group whose desired members exceed
// redisx.InlineMembers reaches the writer as a member set; the writer reads
// it back, removes the extra members and adds the missing ones with
// members@odata.bind (20 per PATCH), and a redelivery writes nothing more.
// A desired member gone from the target fails its chunk's bind, which is
// retried one member at a time (its absence is the desired state).
func TestBigGroupMembersBySet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sets := redisx.NewMemberSets(e.rdb)
	w := e.newWriter(func(d *writer.Deps) { d.Members = sets })
	n := 3*redisx.InlineMembers + 7
	ids := make([]string, n+5)
	for i := range ids {
		u, err := e.tenant.AddUser(graphUser(i, e.tenant.Domain()))
		require.NoError(t, err)
		ids[i] = u.ID
	}
	desired, extra := ids[:n], ids[n:]
	g, err := e.tenant.AddGroup(bigGroup())
	require.NoError(t, err)
	for _, id := range append(slices.Clone(extra), desired[:30]...) { // 5 to remove, 30 kept
		require.NoError(t, e.tenant.AddMember(g.ID, id))
	}
	require.NoError(t, e.tenant.DeleteUser(desired[n-1])) // deprovisioned meanwhile
	set, err := sets.Put(ctxT(t), cfgID, desired)
	require.NoError(t, err)

	upd := intentFor("big", g.ID, actUpdate, "Active")
	upd.Source = srcRef("big", true)
	upd.DesiredMemberSet = set
	before := e.tenant.Stats().Writes
	requireSuccess(t, applyOK(t, w, batchOf(e, upd)))
	got, _ := e.tenant.Group(g.ID)
	require.ElementsMatch(t, desired[:n-1], got.Members, "every live desired member exactly once, the extra ones removed")
	writes := e.tenant.Stats().Writes - before
	t.Logf("%d members: %d writes", n, writes)
	// 5 removes, ceil((n-31)/20) binds, one refused bind retried as 20 adds.
	require.LessOrEqual(t, writes, int64(5+(n-30)/20+1+20))

	before = e.tenant.Stats().Writes
	requireSuccess(t, applyOK(t, w, batchOf(e, upd))) // redelivered
	require.Equal(t, before+1, e.tenant.Stats().Writes, "only the member gone from the target is tried again")
	got, _ = e.tenant.Group(g.ID)
	require.Len(t, got.Members, n-1)

	// A set that is gone fails the intent (escrowed, decided again next
	// cycle); it never empties the group.
	require.NoError(t, e.rdb.Del(ctxT(t), "xtsync:{"+cfgID+"}:members:"+set).Err())
	outs := applyOK(t, w, batchOf(e, upd))
	require.False(t, outs[0].GetSuccess())
	require.Equal(t, string(rules.EntrySynchronizationSkipped), outs[0].GetError().GetCode())
	got, _ = e.tenant.Group(g.ID)
	require.Len(t, got.Members, n-1)
}

func graphUser(i int, domain string) graphsim.User {
	return graphsim.User{UserPrincipalName: fmt.Sprintf("big%05d@%s", i, domain), DisplayName: fmt.Sprintf("Big %d", i)}
}

func bigGroup() graphsim.Group {
	return graphsim.Group{DisplayName: "All employees", MailNickname: "all", SecurityEnabled: true}
}
