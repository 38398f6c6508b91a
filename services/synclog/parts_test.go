package synclog_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/services/synclog"
)

// part marks o as the first part (deferred) or the references round's
// part (continues) of its object's entry, with one step of its own.
func part(t *testing.T, o *eventsv1.WriteOutcome, continues bool, step string, changes ...string) *eventsv1.WriteOutcome {
	t.Helper()
	l := decide.Log{Deferred: !continues, Continues: continues,
		Steps: []decide.Step{{Type: decide.StepReferenceResolution, Name: "EntryReferenceResolution", Status: decide.StatusSuccess, Description: step}}}
	b, err := json.Marshal(l)
	require.NoError(t, err)
	o.LogJson = string(b)
	for _, c := range changes {
		o.Changes = append(o.Changes, &eventsv1.AttributeChange{Attribute: c, NewValueJson: `"x"`})
	}
	if continues {
		o.IntentId += "/references"
	}
	return o
}

// TestReferencesPartsOneEntry: an object's first write and its references
// round are logged as one entry (the first one's id, both parts' steps and
// changes), counted once, in either order of arrival and under
// redelivery; a failed references part fails the entry and escrows the
// object; a part alone logs nothing.
func TestReferencesPartsOneEntry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("c1")
	first1 := part(t, outcome("c1", 1, create, true, ""), false, "manager waits", "displayName")
	refs1 := part(t, outcome("c1", 1, update, true, ""), true, "manager set", "manager")
	first2 := part(t, outcome("c1", 2, create, true, ""), false, "manager waits", "displayName")
	refs2 := part(t, outcome("c1", 2, update, false, "GraphRequestRejected"), true, "manager set", "manager")

	e.publishBatch(cfgID, "c1", "users", first1, outcome("c1", 3, create, true, ""))
	e.publishBatch(cfgID, "c1", "refs-early", refs2) // before its first part
	e.progress("c1", func(p synclog.Progress) bool { return p.Logged == 1 })
	require.EqualValues(t, 1, e.logCount(cfgID, "c1"), "the parts wait for each other")

	e.publishBatch(cfgID, "c1", "refs", refs1)
	e.progress("c1", func(p synclog.Progress) bool { return p.Logged == 2 })
	waiting, err := e.rdb.HKeys(ctxT(t), "xtsync:{"+cfgID+"}:cycle:c1:parts").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"c:src-00002"}, waiting, "logged parts are dropped, the others wait")
	e.publishBatch(cfgID, "c1", "refs-again", refs1) // after the drop: its entry is counted
	e.publishBatch(cfgID, "c1", "users-2", first2)
	e.publishBatch(cfgID, "c1", "users-again", first1, first2)
	e.endCycle("c1", 3)
	p := e.progress("c1", func(p synclog.Progress) bool { return !p.Completed.IsZero() })
	require.EqualValues(t, 3, p.Logged)
	require.Equal(t, map[string]int64{"Create": 3}, p.ByAction)
	require.Equal(t, map[string]int64{"Success": 2, "Failure": 1}, p.ByStatus)

	byID := map[string]*eventsv1.ProvisioningLogEntry{}
	for _, b := range e.logBatches(cfgID, "c1") {
		for _, en := range b.GetEntries() {
			require.NotContains(t, byID, en.GetEntryId(), "logged once")
			byID[en.GetEntryId()] = en
		}
	}
	require.Len(t, byID, 3)
	for i, want := range map[*eventsv1.WriteOutcome]eventsv1.ProvisioningStatus{
		first1: eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SUCCESS,
		first2: eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE,
	} {
		en := byID[i.GetIntentId()]
		require.NotNil(t, en, "entry id of the first part")
		require.Equal(t, want, en.GetStatus())
		var names []string
		for _, m := range en.GetModifiedProperties() {
			names = append(names, m.GetName())
		}
		require.Equal(t, []string{"displayName", "manager"}, names)
		var steps []decide.Step
		require.NoError(t, json.Unmarshal([]byte(en.GetStepsJson()), &steps))
		var desc []string
		for _, s := range steps {
			desc = append(desc, string(s.Type)+":"+string(s.Status))
		}
		last := "export:success"
		if want == eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE {
			last = "export:failure"
		}
		require.Equal(t, []string{"referenceResolution:success", "export:success", "referenceResolution:success", last}, desc)
	}
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 1)
	require.Equal(t, "src-00002", escrows[0].ObjectID, "the failed manager write is retried next cycle")
}

// TestStoppedCycleLogsWaitingParts: a cycle stopped before its references
// round logs the first parts that waited for it, each as its entry, and a
// part arriving after the stop is logged at once: nothing waits forever.
func TestStoppedCycleLogsWaitingParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("c2")
	e.publishBatch(cfgID, "c2", "users", part(t, outcome("c2", 1, create, true, ""), false, "manager waits", "displayName"),
		outcome("c2", 2, create, true, ""))
	e.progress("c2", func(p synclog.Progress) bool { return p.Logged == 1 })
	e.publishCycle(cfgID, natsx.CycleVerbStop, "c2/stop", &eventsv1.CycleStop{ConfigurationId: cfgID, CycleId: "c2"})
	e.progress("c2", func(p synclog.Progress) bool { return p.Logged == 2 })
	e.publishBatch(cfgID, "c2", "late", part(t, outcome("c2", 3, create, true, ""), false, "manager waits", "displayName"))
	p := e.progress("c2", func(p synclog.Progress) bool { return p.Logged == 3 })
	require.Equal(t, map[string]int64{"Create": 3}, p.ByAction)
}
