package reader_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/reader"
	"github.com/xtsync/xtsync/services/transformer"
)

// withoutManager is Entra's default user mapping set less manager.
func withoutManager() []mapping.Spec {
	return slices.DeleteFunc(mapping.DefaultUser(), func(s mapping.Spec) bool { return s.Target == "manager" })
}

func compile(t *testing.T, users spec.Object) *decide.Config {
	t.Helper()
	r := &spec.Rules{SourceTenantID: "tenant-a", Scope: "AllUsers", Users: users}
	dc, err := r.Compile(nil)
	require.NoError(t, err)
	return dc
}

// TestUserSelectFor: manager is selected for a configuration only when
// user_select allows it and its user mappings write manager; every other
// property of user_select is kept as configured.
func TestUserSelectFor(t *testing.T) {
	t.Parallel()
	no := false
	withMgr := reader.DefaultUserSelect()
	for _, tc := range []struct {
		name    string
		base    []string
		dc      *decide.Config
		manager bool
	}{
		{"default mappings write manager", withMgr, compile(t, spec.Object{}), true},
		{"mappings without manager", withMgr, compile(t, spec.Object{Mappings: withoutManager()}), false},
		{"users off", withMgr, compile(t, spec.Object{Enabled: &no}), false},
		{"no rules: user_select as is", withMgr, nil, true},
		{"user_select without manager", slices.DeleteFunc(reader.DefaultUserSelect(), func(p string) bool { return p == "manager" }), compile(t, spec.Object{}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := reader.UserSelectFor(tc.base, tc.dc)
			require.Equal(t, tc.manager, slices.Contains(got, "manager"), got)
			require.Equal(t, slices.DeleteFunc(slices.Clone(tc.base), func(p string) bool { return p == "manager" }),
				slices.DeleteFunc(slices.Clone(got), func(p string) bool { return p == "manager" }))
		})
	}
}

// TestMappingChangeRereadsUsers: adding a manager mapping to a
// configuration changes its users $select, and the delta link made with
// the old one would never report managers: the next delta cycle reads the
// users again in full (each user once, with its manager), records the new
// $select, and the cycle after is quiet. The groups round, whose $select
// did not change, stays a delta.
func TestMappingChangeRereadsUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 8, groups: 2, pageSize: 3})
	ids := e.tenant.UserIDs()
	for _, id := range ids {
		require.NoError(t, e.tenant.SetManager(id, ""))
	}
	require.NoError(t, e.tenant.SetManager(ids[2], ids[0]))
	require.NoError(t, e.tenant.SetManager(ids[3], ids[0]))
	rules := transformer.NewStaticRules()
	setUsers := func(users spec.Object) {
		require.NoError(t, rules.Add(testCfg, "target", &spec.Rules{SourceTenantID: e.tenant.ID(), Scope: "AllUsers", Users: users}))
	}
	setUsers(spec.Object{Mappings: withoutManager()})
	e.cfg.UserSelect = reader.DefaultUserSelect()
	e.rules = rules
	e.reader = e.newReader()
	var groupChanges int
	users := func() map[string]bool {
		rec := e.drainChanges()
		groupChanges = len(rec.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP))
		got := rec.ofType(commonv1.ObjectType_OBJECT_TYPE_USER)
		withMgr := map[string]bool{}
		for id, ch := range got {
			_, has := attrsOf(t, ch)["manager"]
			withMgr[id] = has
		}
		return withMgr
	}
	selected := func() bool {
		return slices.Contains(strings.Split(e.watermark(redisx.Users).Select, ","), "manager")
	}

	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	got := users()
	require.Len(t, got, 8)
	require.Equal(t, 2, groupChanges)
	for id, has := range got {
		require.False(t, has, "manager is not mapped: not selected (%s)", id)
	}
	require.False(t, selected())
	groupsWM := e.watermark(redisx.Groups)
	require.NotEmpty(t, groupsWM.Select)
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c2", delta)))
	require.Empty(t, users(), "nothing changed")

	// The admin maps manager (UpdateConfiguration): the next delta cycle
	// reads every user again, now with the managers.
	setUsers(spec.Object{})
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c3", delta)))
	got = users()
	require.Len(t, got, 8, "a full read of the users")
	require.True(t, got[ids[2]] && got[ids[3]], "the reports carry their manager")
	require.True(t, selected())
	require.NotEmpty(t, e.watermark(redisx.Users).DeltaLink)
	require.Equal(t, groupsWM.Select, e.watermark(redisx.Groups).Select)
	require.Zero(t, groupChanges, "groups stay a delta")

	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c4", delta)))
	require.Empty(t, users(), "the new link was made with the new $select: quiet")
	require.NoError(t, e.tenant.SetManager(ids[4], ids[1]))
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c5", delta)))
	got = users()
	require.Equal(t, map[string]bool{ids[4]: true}, got, "a changed manager comes with the delta")

	// Unmapped again: a full read without managers.
	setUsers(spec.Object{Mappings: withoutManager()})
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c6", delta)))
	got = users()
	require.Len(t, got, 8)
	require.False(t, got[ids[2]] || got[ids[4]])
	require.False(t, selected())
}

// failEndCommit fails the users watermark's commit at the cycle end (the
// one that moves DeltaLink): a crash after the users round was read to its
// end and CycleEnd published, before the link moved.
type failEndCommit struct{ redisx.WatermarkStore }

func (f failEndCommit) Commit(ctx context.Context, cfg string, typ redisx.ObjectType, rev uint64, next redisx.Watermark) (redisx.Watermark, error) {
	if typ == redisx.Users && next.DeltaLink != "" && next.EndLink == "" {
		if cur, err := f.Get(ctx, cfg, typ); err == nil && cur.DeltaLink != next.DeltaLink {
			return redisx.Watermark{}, errCrash
		}
	}
	return f.WatermarkStore.Commit(ctx, cfg, typ, rev, next)
}

// TestChangedSelectStoppedCycle: a cycle that read the users in full for a
// new $select and crashed before its link moved leaves no link another
// cycle would follow with the new $select (the old link never reports
// managers): the next cycle reads everything again.
func TestChangedSelectStoppedCycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 6, pageSize: 10}) // one page: the end commit holds the old link
	ids := e.tenant.UserIDs()
	for _, id := range ids {
		require.NoError(t, e.tenant.SetManager(id, ""))
	}
	require.NoError(t, e.tenant.SetManager(ids[1], ids[0]))
	rules := transformer.NewStaticRules()
	setUsers := func(users spec.Object) {
		require.NoError(t, rules.Add(testCfg, "target", &spec.Rules{SourceTenantID: e.tenant.ID(), Scope: "AllUsers", Users: users}))
	}
	setUsers(spec.Object{Mappings: withoutManager()})
	e.cfg.UserSelect = reader.DefaultUserSelect()
	e.rules = rules
	e.reader = e.newReader()
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	require.Len(t, e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER), 6)

	setUsers(spec.Object{})
	store := e.wm
	e.wm = failEndCommit{store}
	e.reader = e.newReader()
	require.ErrorIs(t, e.reader.RunCycle(ctxT(t), start("c2", delta)), errCrash)
	require.Len(t, e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER), 6)

	e.wm = store
	e.reader = e.newReader()
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c3", delta)))
	got := e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER)
	require.Len(t, got, 6, "read in full again, not from c1's link")
	require.Equal(t, ids[0], attrString(t, got[ids[1]], "manager"))
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c4", delta)))
	require.Empty(t, e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER))
}

// TestManagerSwitch: manager is read by default where the mappings write
// it; -reader.manager=false leaves it out of the $select (no manager read,
// none written).
func TestManagerSwitch(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		e := newEnv(t, envOpts{users: 4, pageSize: 10})
		ids := e.tenant.UserIDs()
		require.NoError(t, e.tenant.SetManager(ids[1], ids[0]))
		rules := transformer.NewStaticRules()
		require.NoError(t, rules.Add(testCfg, "target", &spec.Rules{SourceTenantID: e.tenant.ID(), Scope: "AllUsers"}))
		e.rules = rules
		e.cfg.Manager = on
		e.reader = e.newReader()
		require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
		got := e.drainChanges().ofType(commonv1.ObjectType_OBJECT_TYPE_USER)
		_, has := attrsOf(t, got[ids[1]])["manager"]
		require.Equal(t, on, has, "manager on: %v", on)
		require.Equal(t, on, slices.Contains(strings.Split(e.watermark(redisx.Users).Select, ","), "manager"))
	}
}
