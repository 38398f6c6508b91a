package synclog

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// CodeDeletionThresholdExceeded is the code of the failed outcomes the
// transformer publishes for deprovisions it holds.
const CodeDeletionThresholdExceeded = string(rules.DeletionThresholdExceeded)

// Quarantine reason codes (see the package doc).
const (
	ReasonEscrowProportion = string(rules.EncounteredEscrowProportionThreshold)
	ReasonAuthFailures     = string(rules.EncounteredQuarantineException)
	ReasonTooManyDeletes   = string(rules.TooManyDeletes)
)

// held reports an outcome that only says "not applied, awaiting the
// admin": neither a failure to escrow nor a success.
func held(o *eventsv1.WriteOutcome) bool {
	return !o.GetSuccess() && o.GetError().GetCode() == CodeDeletionThresholdExceeded
}

// EntryID is the log entry id of an outcome: the intent id, which is stable
// under every redelivery upstream. A held deprovision is logged once when
// held and once more when the admin releases it (same intent id), so the
// held entry gets its own suffix.
func EntryID(o *eventsv1.WriteOutcome) string {
	id := o.GetIntentId()
	if id == "" {
		// Writers always set it; a fallback that is still stable.
		h := fnv.New64a()
		for _, s := range []string{o.GetConfigurationId(), o.GetCycleId(), o.GetSource().GetObjectId(), o.GetAction().String()} {
			_, _ = h.Write([]byte(s))
			_, _ = h.Write([]byte{0})
		}
		id = o.GetCycleId() + "/" + o.GetSource().GetObjectId() + "/" + strconv.FormatUint(h.Sum64(), 36)
	}
	if held(o) {
		id += "/held"
	}
	return id
}

// statusOf maps an outcome to the provisioning log's status column.
func statusOf(o *eventsv1.WriteOutcome) eventsv1.ProvisioningStatus {
	switch {
	case held(o):
		return eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED
	case !o.GetSuccess():
		return eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE
	case o.GetAction() == eventsv1.WriteAction_WRITE_ACTION_SKIP, o.GetError().GetCode() != "":
		// A success with a code is a skip decided by the writer
		// (e.g. NotCreatedBySync).
		return eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED
	}
	return eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SUCCESS
}

// toEntry renders one outcome as its log entry.
func toEntry(o *eventsv1.WriteOutcome, traceID string, now time.Time) *eventsv1.ProvisioningLogEntry {
	ts := o.GetFinishedAt()
	if ts == nil {
		ts = timestamppb.New(now)
	}
	return &eventsv1.ProvisioningLogEntry{
		EntryId:            EntryID(o),
		ConfigurationId:    o.GetConfigurationId(),
		CycleId:            o.GetCycleId(),
		Source:             o.GetSource(),
		TargetObjectId:     o.GetTargetObjectId(),
		Action:             o.GetAction(),
		Status:             statusOf(o),
		Error:              o.GetError(),
		Attempts:           o.GetAttempts(),
		ModifiedProperties: modified(o.GetChanges()),
		Timestamp:          ts,
		TraceId:            traceID,
		StepsJson:          stepsJSON(o),
	}
}

// stepsJSON is the entry's provisioning steps: the transformer's (the
// intent's log_json, carried by the outcome) plus the export step this
// outcome is the result of. "" without log_json, or when it is not a
// decide.Log: a log entry is never refused for its steps.
func stepsJSON(o *eventsv1.WriteOutcome) string {
	if o.GetLogJson() == "" {
		return ""
	}
	var l decide.Log
	if err := json.Unmarshal([]byte(o.GetLogJson()), &l); err != nil {
		return ""
	}
	if st, ok := exportStep(o); ok {
		l.Steps = append(l.Steps, st)
	}
	if l.Steps == nil {
		l.Steps = []decide.Step{}
	}
	out, err := json.Marshal(l.Steps)
	if err != nil {
		return ""
	}
	return string(out)
}

// exportStep renders the writer's result (or the held signal) as Entra's
// EntryExport step. Skip and Fail were decided before writing: the
// transformer's steps already end with the reason.
func exportStep(o *eventsv1.WriteOutcome) (decide.Step, bool) {
	switch o.GetAction() {
	case eventsv1.WriteAction_WRITE_ACTION_SKIP, eventsv1.WriteAction_WRITE_ACTION_FAIL, eventsv1.WriteAction_WRITE_ACTION_UNSPECIFIED:
		return decide.Step{}, false
	}
	st := decide.Step{Type: decide.StepExport, Name: "EntryExport"}
	action := actionName(o.GetAction())
	e := o.GetError()
	switch statusOf(o) {
	case eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SUCCESS:
		st.Status = decide.StatusSuccess
		st.Description = action + " in the target tenant succeeded"
		if id := o.GetTargetObjectId(); id != "" {
			st.Description += " (target object " + id + ")"
		}
	case eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED:
		st.Status = decide.StatusSkipped
		st.Description = action + " not applied: " + e.GetCode()
		if e.GetMessage() != "" {
			st.Description += ": " + e.GetMessage()
		}
	default:
		st.Status = decide.StatusFailure
		st.Description = action + " in the target tenant failed: " + e.GetCode()
		if e.GetMessage() != "" {
			st.Description += ": " + e.GetMessage()
		}
	}
	if e.GetCode() != "" {
		st.Details = map[string]string{"errorCode": e.GetCode()}
	}
	if n := o.GetAttempts(); n > 1 {
		if st.Details == nil {
			st.Details = map[string]string{}
		}
		st.Details["attempts"] = strconv.Itoa(int(n))
	}
	return st, true
}

// actionName and statusName are the counter and metric labels: "Create",
// "Success" (Entra's column values), stable because they derive from the
// proto enum names.
func actionName(a eventsv1.WriteAction) string {
	return title(strings.TrimPrefix(a.String(), "WRITE_ACTION_"))
}

func statusName(s eventsv1.ProvisioningStatus) string {
	return title(strings.TrimPrefix(s.String(), "PROVISIONING_STATUS_"))
}

// title turns HARD_DELETE into HardDelete.
func title(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(s), "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}

// isAuthFailure reports a failure whose code (or Graph code quoted in the
// message) is one of codes.
func isAuthFailure(o *eventsv1.WriteOutcome, codes []string) bool {
	if o.GetSuccess() || held(o) {
		return false
	}
	code, msg := o.GetError().GetCode(), strings.ToLower(o.GetError().GetMessage())
	for _, c := range codes {
		if strings.EqualFold(code, c) || strings.Contains(msg, strings.ToLower(c)) {
			return true
		}
	}
	return false
}

// redactedValue is how a secret value appears in logs (Entra's spelling).
const redactedValue = "[Redacted]"

// modified renders the applied changes as the entry's modified properties.
// Values stay JSON (a string keeps its quotes) so null, "" and arrays
// remain distinguishable.
func modified(changes []*eventsv1.AttributeChange) []*eventsv1.ModifiedProperty {
	if len(changes) == 0 {
		return nil
	}
	out := make([]*eventsv1.ModifiedProperty, 0, len(changes))
	for _, c := range changes {
		mp := &eventsv1.ModifiedProperty{Name: c.GetAttribute(), OldValue: c.GetOldValueJson(), NewValue: c.GetNewValueJson()}
		if mp.Name == "" {
			mp.Name = c.GetGraphProperty()
		}
		if c.GetRedacted() {
			mp.NewValue = redactedValue
			if mp.OldValue != "" {
				mp.OldValue = redactedValue
			}
		}
		out = append(out, mp)
	}
	return out
}
