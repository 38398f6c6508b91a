package transformer_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

func logOf(t *testing.T, wi *eventsv1.WriteIntent) decide.Log {
	t.Helper()
	var l decide.Log
	require.NoError(t, json.Unmarshal([]byte(wi.GetLogJson()), &l))
	return l
}

// store persists the entry a writer stores after the intent succeeded.
func (f *fixture) store(wi *eventsv1.WriteIntent, version uint64) {
	f.t.Helper()
	ce := wi.GetConnectorEntry()
	require.NotNil(f.t, ce, wi.GetLogJson())
	require.NoError(f.t, f.cds.Put(ctxT(f.t), cfgID, redisx.Entry{SourceID: ce.GetSourceId(), Type: redisx.Users,
		TargetID: "t-" + ce.GetSourceId(), State: redisx.Active, Since: now.Add(-time.Hour),
		CreatedBySync: ce.GetCreatedBySync(), Exported: ce.GetExported(), Version: version}))
}

// TestReferencesRound: a user decided before its manager was written is
// created without it, its log deferred and its change kept for the
// cycle's references round; that round, once the manager is written,
// issues only the manager (an Update whose log continues the first
// entry), and a redelivery of it gives the same intent. A manager still
// unresolved then (out of scope) leaves the revisit set for a wait on the
// manager, which its provisioning ends. On-demand cycles defer nothing.
func TestReferencesRound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(r *spec.Rules) { r.Assignments.Users = append(r.Assignments.Users, "ux", "u5") })
	refs := transformer.NewCycleRefs(f.rdb, time.Hour)
	rv := transformer.NewRevisits(f.rdb)
	stored := func() map[string]*eventsv1.SourceChange {
		t.Helper()
		chs, err := refs.List(ctxT(t), cfgID, cycle)
		require.NoError(t, err)
		out := map[string]*eventsv1.SourceChange{}
		for _, ch := range chs {
			out[ch.GetObject().GetObjectId()] = ch
		}
		return out
	}
	revisits := func() []string {
		t.Helper()
		ids, err := rv.List(ctxT(t), cfgID)
		require.NoError(t, err)
		return ids
	}

	// Users round: u1 (manager u2) and u3 (manager ux, never in scope)
	// come before their managers.
	res, err := f.tr.Process(ctxT(t), batch(1, user("u1", "manager", "u2"), user("u3", "manager", "ux")))
	require.NoError(t, err)
	for _, wi := range res.Intents.GetIntents() {
		require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction())
		require.NotContains(t, attributesOf(wi), "manager")
		require.True(t, logOf(t, wi).Deferred, "logged with the references round")
		f.store(wi, 1)
	}
	require.Len(t, stored(), 2)
	require.ElementsMatch(t, []string{"u1", "u3"}, revisits(), "a later cycle retries if the round never runs")
	f.provision(user("u2"), redisx.Active, now.Add(-time.Hour))

	// References round.
	rb := batch(9, stored()["u1"], stored()["u3"])
	rb.References = true
	res, err = f.tr.Process(ctxT(t), rb)
	require.NoError(t, err)
	byID := map[string]*eventsv1.WriteIntent{}
	for _, wi := range res.Intents.GetIntents() {
		byID[wi.GetSource().GetObjectId()] = wi
	}
	u1 := byID["u1"]
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_UPDATE, u1.GetAction())
	require.Equal(t, []string{"manager"}, attributesOf(u1), "only the reference")
	require.JSONEq(t, `"t-u2"`, u1.GetChanges()[0].GetNewValueJson())
	require.Contains(t, u1.GetConnectorEntry().GetExported(), "manager")
	l := logOf(t, u1)
	require.True(t, l.Continues)
	require.False(t, l.Deferred)
	u3 := byID["u3"]
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_SKIP, u3.GetAction(), u3.GetLogJson())
	require.True(t, logOf(t, u3).Continues)
	require.Empty(t, revisits(), "resolved, or waiting for its manager")

	again, err := f.tr.Process(ctxT(t), rb)
	require.NoError(t, err)
	require.Equal(t, res.Intents.String(), again.Intents.String(), "a redelivery decides the same")

	// ux comes into scope later: u3 is revisited by the next cycle.
	wi := f.one(user("ux"))
	require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), wi.GetLogJson())
	require.Equal(t, []string{"u3"}, revisits())

	// On demand: no references round, the manager waits for a later cycle.
	od := batch(3, user("u5", "manager", "u6"))
	od.Mode = eventsv1.CycleMode_CYCLE_MODE_ON_DEMAND
	res, err = f.tr.Process(ctxT(t), od)
	require.NoError(t, err)
	require.False(t, logOf(t, res.Intents.GetIntents()[0]).Deferred)
	require.NotContains(t, stored(), "u5")
	require.Contains(t, revisits(), "u5")
}

// TestReferencesDroppedAtCycleEnd: the cycle's unresolved references (whole
// changes) leave Redis once its CycleEnd is decided, not with the 30-day
// per-cycle state.
func TestReferencesDroppedAtCycleEnd(t *testing.T) {
	t.Parallel()
	f := newNATSFixture(t)
	refs := transformer.NewCycleRefs(f.rdb, time.Hour)
	kept := func() int {
		chs, err := refs.List(ctxT(t), cfgID, cycle)
		require.NoError(t, err)
		return len(chs)
	}
	f.publishBatches(1, user("u1", "manager", "u2"))
	stop := f.run(f.tr)
	require.Eventually(t, func() bool { return kept() == 1 }, 10*time.Second, 20*time.Millisecond,
		"u1's manager is not written yet: its change waits for the references round")
	f.publishEnd(cycleEnd(cycle), cycle+"/end")
	require.Eventually(t, func() bool { return kept() == 0 }, 10*time.Second, 20*time.Millisecond,
		"dropped at the cycle's end")
	require.NoError(t, stop())
}
