package reader_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/internal/graph"
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

// splitSource repeats a group of a full read with its members@delta split
// over two pages, as Graph does for big groups: the page that has it lists
// the first half, an extra page (link "split:<n>") the group again with the
// rest, then the original links go on.
type splitSource struct {
	graph.Source
	gid   string
	mu    sync.Mutex
	extra []graph.DeltaPage[graph.Group]
}

func (s *splitSource) GroupsDeltaPage(ctx context.Context, r graph.DeltaRequest) (graph.DeltaPage[graph.Group], error) {
	if n, ok := strings.CutPrefix(r.Link, "split:"); ok {
		i, err := strconv.Atoi(n)
		if err != nil {
			return graph.DeltaPage[graph.Group]{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.extra[i], nil
	}
	p, err := s.Source.GroupsDeltaPage(ctx, r)
	if err != nil {
		return p, err
	}
	for i, g := range p.Objects {
		if g.ID != s.gid || len(g.Members) < 2 {
			continue
		}
		h := len(g.Members) / 2
		rest := g
		rest.Members = g.Members[h:]
		p.Objects[i].Members = g.Members[:h]
		s.mu.Lock()
		s.extra = append(s.extra, graph.DeltaPage[graph.Group]{Objects: []graph.Group{rest}, NextLink: p.NextLink, DeltaLink: p.DeltaLink})
		p.NextLink, p.DeltaLink = "split:"+strconv.Itoa(len(s.extra)-1), ""
		s.mu.Unlock()
	}
	return p, nil
}

// TestSplitMembersDeltaAccumulated: a group whose members@delta Graph
// splits over two pages of the full read is published with the members of
// both: the transformer keeps the latest copy, which must be whole.
func TestSplitMembersDeltaAccumulated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 80, pageSize: 50})
	rs := redistest.Start(t, redistest.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	g, err := e.tenant.AddGroup(graphsim.Group{DisplayName: "All", MailNickname: "all", SecurityEnabled: true})
	require.NoError(t, err)
	for _, id := range e.tenant.UserIDs() {
		require.NoError(t, e.tenant.AddMember(g.ID, id))
	}
	src := &splitSource{Source: e.client, gid: g.ID}
	r, err := reader.New(e.cfg, reader.Deps{Sources: reader.NewStaticSources(map[string]graph.Source{testCfg: src}),
		JetStream: e.js, Watermarks: e.wm, Members: redisx.NewMemberSets(rdb), Logger: testLogger(t)})
	require.NoError(t, err)
	require.NoError(t, r.RunCycle(ctxT(t), start("c1", delta)))
	require.NotEmpty(t, src.extra, "the group was split")
	var copies [][]string
	for _, ch := range e.drainChanges().changes {
		if ch.GetObject().GetObjectId() == g.ID {
			copies = append(copies, ch.GetMemberIds())
		}
	}
	require.Len(t, copies, 2, "one copy per page")
	require.ElementsMatch(t, e.userMembers(g.ID), copies[1], "the latest copy lists every member")
	require.Len(t, copies[0], len(copies[1])/2)
}
