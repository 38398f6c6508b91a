package decide

import (
	"fmt"
	"strings"
)

// StepType, StepStatus and LogAction use the values of Microsoft Graph's
// provisioningObjectSummary (provisioningStep.provisioningStepType,
// provisioningStatusInfo.status, provisioningAction) so logs read like
// Entra's and export to Graph-shaped JSON unchanged.
type StepType string

// Step types.
const (
	StepImport              StepType = "import"
	StepScoping             StepType = "scoping"
	StepMatching            StepType = "matching"
	StepProcessing          StepType = "processing"
	StepReferenceResolution StepType = "referenceResolution"
	StepExport              StepType = "export"
)

// StepStatus is a step's outcome.
type StepStatus string

// Step statuses.
const (
	StatusSuccess StepStatus = "success"
	StatusWarning StepStatus = "warning"
	StatusFailure StepStatus = "failure"
	StatusSkipped StepStatus = "skipped"
)

// LogAction is the provisioningAction of the log entry.
type LogAction string

// Log actions.
const (
	LogOther        LogAction = "other"
	LogCreate       LogAction = "create"
	LogUpdate       LogAction = "update"
	LogDelete       LogAction = "delete"
	LogDisable      LogAction = "disable"
	LogStagedDelete LogAction = "stagedDelete"
)

// Step is one provisioning step.
type Step struct {
	Type        StepType          `json:"provisioningStepType"`
	Name        string            `json:"name"`
	Status      StepStatus        `json:"status"`
	Description string            `json:"description"`
	Details     map[string]string `json:"details,omitempty"`
}

// ModifiedProperty is one attribute change, old -> new.
type ModifiedProperty struct {
	DisplayName string `json:"displayName"`
	OldValue    string `json:"oldValue"`
	NewValue    string `json:"newValue"`
}

// Log is the provisioning log entry of a decision. The export step is
// appended by the writer with Graph's answer (AddExport).
type Log struct {
	Action   LogAction          `json:"provisioningAction"`
	Status   StepStatus         `json:"status"`
	Code     string             `json:"errorCode,omitempty"`
	Reason   string             `json:"reason,omitempty"`
	Steps    []Step             `json:"provisioningSteps"`
	Modified []ModifiedProperty `json:"modifiedProperties,omitempty"`
	// Deferred: the object's references (its manager) are set by the
	// cycle's references round, after the users are written; the log
	// service holds this entry until that round's part (Continues) comes
	// and logs the two as one entry: one entry per object and cycle.
	Deferred bool `json:"deferred,omitempty"`
	// Continues: this is the references round's part of the object's
	// entry of the cycle (its steps and modified properties are appended
	// to the Deferred entry), not an entry of its own.
	Continues bool `json:"continues,omitempty"`
}

func (l *Log) step(t StepType, name string, st StepStatus, format string, args ...any) {
	l.Steps = append(l.Steps, Step{Type: t, Name: name, Status: st, Description: fmt.Sprintf(format, args...)})
}

// AddExport records the writer's outcome.
func (l *Log) AddExport(ok bool, description string) {
	st := StatusSuccess
	if !ok {
		st = StatusFailure
		l.Status = StatusFailure
	}
	l.Steps = append(l.Steps, Step{Type: StepExport, Name: "EntryExport", Status: st, Description: description})
}

// Explain renders the steps as text, one per line ("why was this skipped").
func (l *Log) Explain() string {
	var b strings.Builder
	for _, s := range l.Steps {
		fmt.Fprintf(&b, "%s [%s] %s\n", s.Type, s.Status, s.Description)
	}
	for _, m := range l.Modified {
		fmt.Fprintf(&b, "  %s: %s -> %s\n", m.DisplayName, m.OldValue, m.NewValue)
	}
	return b.String()
}

const redacted = "[Redact]"

// renderValue prints a value for modified properties.
func renderValue(v any, redact bool) string {
	if redact {
		return redacted
	}
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(x, ";")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
