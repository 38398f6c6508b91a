package reader_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/reader"
)

// TestBigGroupBySet: a group with more than redisx.InlineMembers direct
// members is published with its members as a member set (the message stays
// small whatever the group's size), one at the bound inline; a delta that
// changes the big group's members publishes the new complete set.
func TestBigGroupBySet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: redisx.InlineMembers + 50, pageSize: 200})
	rs := redistest.Start(t, redistest.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	sets := redisx.NewMemberSets(rdb)
	r, err := reader.New(e.cfg, reader.Deps{Sources: e.sources, JetStream: e.js, Watermarks: e.wm,
		Members: sets, Logger: testLogger(t)})
	require.NoError(t, err)
	users := e.tenant.UserIDs()
	big, err := e.tenant.AddGroup(graphsim.Group{DisplayName: "All", MailNickname: "all", SecurityEnabled: true})
	require.NoError(t, err)
	bound, err := e.tenant.AddGroup(graphsim.Group{DisplayName: "Bound", MailNickname: "bound", SecurityEnabled: true})
	require.NoError(t, err)
	for i, id := range users[:redisx.InlineMembers+1] {
		require.NoError(t, e.tenant.AddMember(big.ID, id))
		if i < redisx.InlineMembers {
			require.NoError(t, e.tenant.AddMember(bound.ID, id))
		}
	}
	ctx := ctxT(t)
	members := func(id string) []string {
		got := e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP)
		ch, ok := got[id]
		require.True(t, ok, "group %s published", id)
		require.Empty(t, ch.GetMemberIds(), "by reference only")
		ids, err := sets.Get(ctx, testCfg, ch.GetMemberSet())
		require.NoError(t, err)
		if b, ok := got[bound.ID]; ok {
			require.Empty(t, b.GetMemberSet())
			require.Len(t, b.GetMemberIds(), redisx.InlineMembers, "at the bound: inline")
		}
		return ids
	}

	require.NoError(t, r.RunCycle(ctx, start("c1", delta)))
	require.ElementsMatch(t, e.userMembers(big.ID), members(big.ID))

	// A delta: one member leaves, one joins; the change carries the new
	// complete set.
	require.NoError(t, e.tenant.RemoveMember(big.ID, users[0]))
	require.NoError(t, e.tenant.AddMember(big.ID, users[len(users)-1]))
	require.NoError(t, r.RunCycle(ctx, start("c2", delta)))
	got := members(big.ID)
	require.ElementsMatch(t, e.userMembers(big.ID), got)
	require.NotContains(t, got, users[0])
	require.Contains(t, got, users[len(users)-1])
}
