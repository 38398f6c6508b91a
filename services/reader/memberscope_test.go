package reader_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/transformer"
)

// listingSource records the groups whose members the reader lists.
type listingSource struct {
	graph.Source
	mu     sync.Mutex
	listed []string
}

func (s *listingSource) ListUserMemberIDs(ctx context.Context, id string) ([]string, error) {
	s.mu.Lock()
	s.listed = append(s.listed, id)
	s.mu.Unlock()
	return s.Source.ListUserMemberIDs(ctx, id)
}

func (s *listingSource) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.listed
	s.listed = nil
	slices.Sort(out)
	return out
}

// TestDeltaListsOnlyMembersThatMatter: a delta groups round lists the
// members of a changed group only when the configuration's decisions read
// them (an assigned group under AssignedOnly, synced or not); the other
// changed groups still go out, once each, without members. Fed to the
// real transformer, the cycle's changes give the same intents (actions,
// codes, provisioning-log entries, desired members) and the same assigned
// members as the changes with every membership listed. A group assigned
// later is listed, in full, by the next cycle that reads it; a restart's
// full import carries every membership anyway.
func TestDeltaListsOnlyMembersThatMatter(t *testing.T) {
	t.Parallel()
	yes := true
	for _, tc := range []struct {
		name string
		// rules of the configuration (nil: no Deps.Rules); a and b are the
		// two changed groups, b assigned later when assignLater.
		rules       func(tenant, a, b string) *spec.Rules
		listed      func(a, b string) []string
		assignLater bool
	}{
		{"no rules: every changed group", nil,
			func(a, b string) []string { return sorted(a, b) }, false},
		{"AllUsers: none", func(tenant, a, b string) *spec.Rules {
			return &spec.Rules{SourceTenantID: tenant, Scope: "AllUsers"}
		}, func(a, b string) []string { return nil }, false},
		{"AssignedOnly, users scoped by group a, groups off", func(tenant, a, b string) *spec.Rules {
			return &spec.Rules{SourceTenantID: tenant, Assignments: spec.Assignments{Groups: []string{a}}}
		}, func(a, b string) []string { return []string{a} }, true},
		{"AssignedOnly, group a assigned and synced", func(tenant, a, b string) *spec.Rules {
			return &spec.Rules{SourceTenantID: tenant, Assignments: spec.Assignments{Groups: []string{a}},
				Groups: spec.Object{Enabled: &yes}}
		}, func(a, b string) []string { return []string{a} }, true},
		{"AssignedOnly, only users assigned, groups on", func(tenant, a, b string) *spec.Rules {
			return &spec.Rules{SourceTenantID: tenant, Assignments: spec.Assignments{Users: []string{"00000000-0000-0000-0000-000000000001"}},
				Groups: spec.Object{Enabled: &yes}}
		}, func(a, b string) []string { return nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{users: 30, groups: 4, pageSize: 50})
			ctx := ctxT(t)
			gids := e.tenant.GroupIDs()
			a, b := gids[0], gids[1]
			src := &listingSource{Source: e.client}
			e.sources.Set(testCfg, src)
			var rules *transformer.StaticRules
			if tc.rules != nil {
				rules = transformer.NewStaticRules()
				require.NoError(t, rules.Add(testCfg, "target", tc.rules(e.tenant.ID(), a, b)))
				e.rules = rules
				e.reader = e.newReader()
			}

			require.NoError(t, e.reader.RunCycle(ctx, start("c1", delta)))
			first := e.drainChanges()
			require.Empty(t, src.take(), "a full import takes members@delta")
			for id, ch := range first.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP) {
				require.ElementsMatch(t, e.userMembers(id), ch.GetMemberIds(), "full import: %s", id)
			}
			e.cycleEnds()

			// a gains a member, b is renamed: both in the delta.
			uids := e.tenant.UserIDs()
			joiner := uids[len(uids)-1]
			if !slices.Contains(e.userMembers(a), joiner) {
				require.NoError(t, e.client.AddMember(ctx, a, joiner))
			} else {
				require.NoError(t, e.client.RemoveMember(ctx, a, joiner))
			}
			require.NoError(t, e.client.UpdateGroup(ctx, b, graph.Attributes{"description": "renamed"}))
			require.NoError(t, e.reader.RunCycle(ctx, start("c2", delta)))
			got := e.drainChanges()
			want := tc.listed(a, b)
			require.Equal(t, want, src.take(), "listed")
			groups := got.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP)
			require.Len(t, got.changes, 2, "each changed group once, whatever is listed")
			require.Len(t, groups, 2)
			for id, ch := range groups {
				require.Equal(t, upsert, ch.GetKind())
				if slices.Contains(want, id) {
					require.ElementsMatch(t, e.userMembers(id), ch.GetMemberIds(), "listed: %s", id)
				} else {
					require.Empty(t, ch.GetMemberIds(), "not listed: %s", id)
					require.Empty(t, ch.GetMemberSet())
				}
			}
			ends := e.cycleEnds()
			require.Len(t, ends, 1)
			require.EqualValues(t, 2, ends[0].GetChangesPublished())
			if rules != nil {
				requireSameDecisions(t, rules, first.changes, got.changes, func(id string) []string { return e.userMembers(id) })
			}

			if !tc.assignLater {
				return
			}
			// b is assigned (UpdateConfiguration): the next cycle that reads
			// it lists it in full.
			r := tc.rules(e.tenant.ID(), a, b)
			r.Assignments.Groups = append(r.Assignments.Groups, b)
			require.NoError(t, rules.Add(testCfg, "target", r))
			require.NoError(t, e.client.UpdateGroup(ctx, b, graph.Attributes{"description": "assigned"}))
			require.NoError(t, e.reader.RunCycle(ctx, start("c3", delta)))
			got = e.drainChanges()
			require.Equal(t, []string{b}, src.take())
			require.Len(t, got.changes, 1)
			require.ElementsMatch(t, e.userMembers(b), got.changes[0].GetMemberIds())
			require.NotEmpty(t, got.changes[0].GetMemberIds())
			e.cycleEnds()

			// A restart (FULL) lists nothing and carries every membership.
			require.NoError(t, e.reader.RunCycle(ctx, start("c4", full)))
			got = e.drainChanges()
			require.Empty(t, src.take())
			for id, ch := range got.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP) {
				require.ElementsMatch(t, e.userMembers(id), ch.GetMemberIds(), "restart: %s", id)
			}
		})
	}
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// requireSameDecisions runs the real transformer over a full import (every
// membership) and then the delta's changes, twice on fresh Redis servers:
// once as the reader published them, once with every group's members
// listed (members). Both must give the same intents, provisioning-log
// entries included, and the same assigned members.
func requireSameDecisions(t *testing.T, rules *transformer.StaticRules, initial, changes []*eventsv1.SourceChange, members func(string) []string) {
	t.Helper()
	listed := make([]*eventsv1.SourceChange, len(changes))
	for i, ch := range changes {
		listed[i] = proto.CloneOf(ch)
		if ch.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP && ch.GetKind() == upsert {
			listed[i].MemberIds = members(ch.GetObject().GetObjectId())
		}
	}
	run := func(changes []*eventsv1.SourceChange) ([]*eventsv1.WriteIntent, map[string]string) {
		rdb := redistest.Start(t, redistest.Options{}).Client(t)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		tr, err := transformer.New(transformer.DefaultConfig(), transformer.Deps{Rules: rules,
			Connectors: redisx.NewConnectors(rdb), Redis: rdb, Now: func() time.Time { return now }, Logger: testLogger(t)})
		require.NoError(t, err)
		var out []*eventsv1.WriteIntent
		for i, batch := range [][]*eventsv1.SourceChange{initial, changes} {
			ib, err := tr.Transform(ctxT(t), &eventsv1.SourceChangeBatch{ConfigurationId: testCfg, CycleId: "c" + string(rune('1'+i)),
				Page: 1, Mode: delta, Changes: batch})
			require.NoError(t, err)
			if i == 1 {
				out = ib.GetIntents()
			}
		}
		assigned, err := rdb.HGetAll(ctxT(t), "xtsync:{"+testCfg+"}:assigned-members").Result()
		require.NoError(t, err)
		return out, assigned
	}
	gotIntents, gotAssigned := run(changes)
	wantIntents, wantAssigned := run(listed)
	require.Len(t, gotIntents, len(changes), "one intent (one log entry) per change")
	require.Len(t, gotIntents, len(wantIntents))
	for i := range wantIntents {
		require.True(t, proto.Equal(wantIntents[i], gotIntents[i]), "intent %d:\nwant %v\ngot  %v", i, wantIntents[i], gotIntents[i])
	}
	require.Equal(t, wantAssigned, gotAssigned)
}
