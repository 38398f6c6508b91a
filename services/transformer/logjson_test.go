package transformer

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// logOf builds a log using the strings given in every field, with steps,
// details and modified properties present or not by the bits of shape.
func logOf(shape uint8, strs ...string) *decide.Log {
	s := func(i int) string { return strs[i%len(strs)] }
	l := &decide.Log{Action: decide.LogAction(s(0)), Status: decide.StepStatus(s(1))}
	if shape&1 != 0 {
		l.Code, l.Reason = s(2), s(3)
	}
	if shape&2 != 0 {
		l.Steps = []decide.Step{}
	}
	if shape&4 != 0 {
		l.Steps = append(l.Steps, decide.Step{Type: decide.StepImport, Name: s(4), Status: decide.StatusSuccess, Description: s(5)},
			decide.Step{Type: decide.StepType(s(6)), Name: s(0), Status: decide.StepStatus(s(1)), Description: s(2)})
	}
	if shape&8 != 0 {
		l.Steps = append(l.Steps, decide.Step{Details: map[string]string{s(3): s(4), s(5): s(6), "b": s(0), "a": ""}})
	}
	if shape&16 != 0 {
		l.Modified = []decide.ModifiedProperty{{DisplayName: s(1), OldValue: s(2), NewValue: s(3)}, {}}
	}
	if shape&32 != 0 {
		l.Modified = []decide.ModifiedProperty{}
	}
	// The references round's parts (one log entry per object and cycle).
	l.Deferred, l.Continues = shape&64 != 0, shape&128 != 0
	return l
}

func checkLogJSON(t *testing.T, l *decide.Log) {
	t.Helper()
	want, err := json.Marshal(l)
	require.NoError(t, err)
	require.Equal(t, string(want), string(appendLogJSON(nil, l)))
}

// TestLogJSON: the hand-written log encoding equals encoding/json's for
// every shape of log and the strings that need escaping.
func TestLogJSON(t *testing.T) {
	strs := []string{"create", "", `say "hi"`, `c:\path`, "<b>&amp;</b>", "a & b", "x>y", "tab\there\nnl", "María Díaz", "\x00\x1f\x7f",
		"\xff invalid", "\u2028\u2029", "scope is \"sync all users\"", "ø"}
	for shape := range 256 {
		checkLogJSON(t, logOf(uint8(shape), strs...))
		checkLogJSON(t, logOf(uint8(shape), strs[3:]...))
	}
	checkLogJSON(t, &decide.Log{})
}

// FuzzLogJSON: any strings in any field encode as encoding/json does.
func FuzzLogJSON(f *testing.F) {
	f.Add(uint8(255), "create", `a"b`, "<x>", "\xff")
	f.Add(uint8(0), "", "", "", "")
	f.Fuzz(func(t *testing.T, shape uint8, a, b, c, d string) {
		checkLogJSON(t, logOf(shape, a, b, c, d))
	})
}

// TestLogJSONKnowsEveryField: a field added to the log types fails here
// until appendLogJSON writes it (and logOf sets it for FuzzLogJSON).
func TestLogJSONKnowsEveryField(t *testing.T) {
	written := map[string][]string{
		"Log":              {"provisioningAction", "status", "errorCode,omitempty", "reason,omitempty", "provisioningSteps", "modifiedProperties,omitempty", "deferred,omitempty", "continues,omitempty"},
		"Step":             {"provisioningStepType", "name", "status", "description", "details,omitempty"},
		"ModifiedProperty": {"displayName", "oldValue", "newValue"},
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[decide.Log](), reflect.TypeFor[decide.Step](), reflect.TypeFor[decide.ModifiedProperty]()} {
		var tags []string
		for f := range typ.Fields() {
			tags = append(tags, f.Tag.Get("json"))
		}
		require.Equal(t, written[typ.Name()], tags, "decide.%s changed: update appendLogJSON", typ.Name())
	}
}
