package synclog_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/services/synclog"
)

// transformerLog is a decide.Log as the transformer puts it in log_json.
const transformerLog = `{"provisioningAction":"create","status":"success","provisioningSteps":[` +
	`{"provisioningStepType":"import","name":"EntryImport","status":"success","description":"retrieved User"},` +
	`{"provisioningStepType":"scoping","name":"EntryScopeEvaluation","status":"success","description":"in scope"},` +
	`{"provisioningStepType":"processing","name":"EntryProcessing","status":"success","description":"decided"}]}`

// TestEntrySteps: a log entry carries the transformer's steps plus the
// export step of its outcome.
func TestEntrySteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	withLog := func(o *eventsv1.WriteOutcome) *eventsv1.WriteOutcome {
		o.LogJson = transformerLog
		return o
	}
	failed := withLog(outcome("s", 3, update, false, "EntryConflict"))
	failed.Attempts = 3
	garbled := outcome("s", 6, create, true, "")
	garbled.LogJson = "{not json"
	cases := []struct {
		name   string
		o      *eventsv1.WriteOutcome
		export *decide.Step // nil: no export step; steps "" when no log
		noLog  bool
	}{
		{"created", withLog(outcome("s", 1, create, true, "")), &decide.Step{Type: decide.StepExport, Name: "EntryExport",
			Status: decide.StatusSuccess, Description: "Create in the target tenant succeeded (target object tgt-00001)"}, false},
		{"held deprovision", withLog(outcome("s", 2, del, false, synclog.CodeDeletionThresholdExceeded)), &decide.Step{Type: decide.StepExport,
			Name: "EntryExport", Status: decide.StatusSkipped, Description: "Delete not applied: DeletionThresholdExceeded: because DeletionThresholdExceeded",
			Details: map[string]string{"errorCode": "DeletionThresholdExceeded"}}, false},
		{"failed write", failed, &decide.Step{Type: decide.StepExport, Name: "EntryExport", Status: decide.StatusFailure,
			Description: "Update in the target tenant failed: EntryConflict: because EntryConflict",
			Details:     map[string]string{"errorCode": "EntryConflict", "attempts": "3"}}, false},
		{"skip decided by the transformer", withLog(outcome("s", 4, skip, true, "NotInScope")), nil, false},
		{"no log_json", outcome("s", 5, create, true, ""), nil, true},
		{"log_json not a log: entry without steps", garbled, nil, true},
	}
	var outs []*eventsv1.WriteOutcome
	for _, c := range cases {
		outs = append(outs, c.o)
	}
	e.publishBatch(cfgID, "s", "s-b1", outs...)
	e.progress("s", func(p synclog.Progress) bool { return p.Logged == int64(len(cases)) })
	byID := map[string]*eventsv1.ProvisioningLogEntry{}
	for _, en := range listAll(t, e.client(sourceTenant), &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: "s"}, 10) {
		byID[en.GetSource().GetObjectId()] = en
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en := byID[c.o.GetSource().GetObjectId()]
			require.NotNil(t, en)
			if c.noLog {
				require.Empty(t, en.GetStepsJson())
				return
			}
			var steps []decide.Step
			require.NoError(t, json.Unmarshal([]byte(en.GetStepsJson()), &steps), en.GetStepsJson())
			want := []decide.StepType{decide.StepImport, decide.StepScoping, decide.StepProcessing}
			if c.export != nil {
				want = append(want, decide.StepExport)
			}
			var got []decide.StepType
			for _, s := range steps {
				got = append(got, s.Type)
			}
			require.Equal(t, want, got)
			if c.export != nil {
				require.Equal(t, *c.export, steps[len(steps)-1])
			}
		})
	}
}
