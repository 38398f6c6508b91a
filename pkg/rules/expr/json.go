package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// EvalJSON compiles src, evaluates it against attrsJSON (a JSON object whose
// members are the source attributes; arrays are multi-valued attributes) and
// returns the result as JSON: null, a string, a boolean, an integer or an
// array of strings. now fixes Now(); the zero time means the current time.
// It backs `xtsyncctl expr eval`; an IgnoreFlowIfNullOrEmpty result is an
// error wrapping ErrIgnoreFlow.
func EvalJSON(src string, attrsJSON []byte, now time.Time) ([]byte, error) {
	prog, err := Compile(src, Options{})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if len(bytes.TrimSpace(attrsJSON)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(attrsJSON))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("decode attributes: %w", err)
		}
	}
	env := &Env{Attrs: MapAttributes(m)}
	if !now.IsZero() {
		env.Now = func() time.Time { return now }
	}
	v, err := prog.Eval(env)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v.Any())
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return out, nil
}
