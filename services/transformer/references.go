package transformer

import (
	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// referencesPart turns the decision of a user in the cycle's references
// round into that round's part of the user's log entry: an Update that
// sets what resolved now (the manager; the entry's other attributes were
// written earlier in the cycle and equal what was exported), else a Skip.
// Never a create, a restore or a deprovision: the object itself was
// decided, written and logged (deferred) earlier in the cycle, and a
// user whose write failed there is retried by the next cycle (escrow).
// Its log continues the earlier entry (decide.Log.Continues): the log
// service appends its steps and changes to it.
func referencesPart(d decide.Decision) decide.Decision {
	out := decide.Decision{Action: decide.Skip, TargetID: d.TargetID}
	out.Log = decide.Log{Action: decide.LogUpdate, Status: decide.StatusSuccess, Continues: true}
	for _, st := range d.Log.Steps {
		if st.Type == decide.StepReferenceResolution {
			out.Log.Steps = append(out.Log.Steps, st) // what still waits
		}
	}
	if d.Action == decide.Update && len(d.Changes) > 0 && d.Entry != nil {
		out.Action, out.Changes, out.Entry, out.Code = decide.Update, d.Changes, d.Entry, d.Code
		out.Log.Modified = d.Log.Modified
		out.Log.Steps = append(out.Log.Steps, decide.Step{Type: decide.StepReferenceResolution,
			Name: "EntryReferenceResolution", Status: decide.StatusSuccess,
			Description: "references round: the referenced objects are provisioned now; updating target object " + d.TargetID})
		return out
	}
	why := "nothing more resolved"
	switch {
	case d.Action == decide.Create || d.Entry == nil && d.Action != decide.Update:
		why = "the object was not provisioned in this cycle; the next cycle retries it"
	case d.Log.Reason != "":
		why = d.Log.Reason
	}
	out.Log.Status = decide.StatusSkipped
	out.Log.Steps = append(out.Log.Steps, decide.Step{Type: decide.StepReferenceResolution,
		Name: "EntryReferenceResolution", Status: decide.StatusSkipped, Description: "references round: " + why})
	return out
}
