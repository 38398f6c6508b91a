package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the dynamic type of a Value.
type Kind uint8

// The kinds a Value can hold. Entra's engine is string-based; the extra kinds
// keep numbers, booleans and dates exact between nested functions and are
// rendered the way .NET renders them when a string is needed.
const (
	KindNull     Kind = iota // absent attribute, omitted argument, or null result
	KindString               // a single string
	KindBool                 // rendered "True"/"False"
	KindInt                  // 64-bit integer
	KindDateTime             // UTC instant, rendered "M/d/yyyy h:mm:ss tt"
	KindMulti                // multi-valued attribute, e.g. proxyAddresses
)

var kindNames = [...]string{"null", "string", "boolean", "integer", "datetime", "multi-valued"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is the small tagged union every expression evaluates to. The zero
// Value is null. Values are immutable; Multi slices must not be modified.
type Value struct {
	kind Kind
	s    string   // KindString
	n    int64    // KindInt, KindBool (0/1), KindDateTime (.NET ticks, UTC)
	m    []string // KindMulti
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{kind: KindString, s: s} }

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value {
	if b {
		return Value{kind: KindBool, n: 1}
	}
	return Value{kind: KindBool}
}

// IntValue returns an integer Value.
func IntValue(n int64) Value { return Value{kind: KindInt, n: n} }

// TimeValue returns a date/time Value; it is kept in UTC with 100ns precision
// (.NET ticks) and clamped to years 1..9999.
func TimeValue(t time.Time) Value { return Value{kind: KindDateTime, n: ticksOf(t)} }

// MultiValue returns a multi-valued Value. The slice is retained, not copied.
func MultiValue(vals []string) Value { return Value{kind: KindMulti, m: vals} }

// Kind reports the dynamic type.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// IsEmpty reports whether v is null, an empty string or a multi-value without
// elements (the "empty" of IsNullOrEmpty).
func (v Value) IsEmpty() bool {
	switch v.kind {
	case KindNull:
		return true
	case KindString:
		return v.s == ""
	case KindMulti:
		return len(v.m) == 0
	}
	return false
}

// String renders v as Entra would send it as a string: null is "", booleans
// are "True"/"False", dates "M/d/yyyy h:mm:ss tt" in UTC, and multi-values
// are joined with "," (for display only; functions never rely on it).
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return v.s
	case KindBool:
		if v.n != 0 {
			return "True"
		}
		return "False"
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	case KindDateTime:
		return formatDefaultDate(v.n)
	case KindMulti:
		return strings.Join(v.m, ",")
	}
	return ""
}

// Bool returns the boolean held by a KindBool value.
func (v Value) Bool() (b, ok bool) { return v.n != 0, v.kind == KindBool }

// Int returns the integer held by a KindInt value.
func (v Value) Int() (int64, bool) { return v.n, v.kind == KindInt }

// Time returns the UTC instant held by a KindDateTime value.
func (v Value) Time() (time.Time, bool) {
	if v.kind != KindDateTime {
		return time.Time{}, false
	}
	return timeOfTicks(v.n), true
}

// Strings returns the elements of a multi-value, a one-element slice for any
// other non-null value, and nil for null.
func (v Value) Strings() []string {
	switch v.kind {
	case KindNull:
		return nil
	case KindMulti:
		return v.m
	}
	return []string{v.String()}
}

// Any converts v for encoding/json: nil, string, bool, int64, []string; a
// date becomes its "M/d/yyyy h:mm:ss tt" string as Entra returns it.
func (v Value) Any() any {
	switch v.kind {
	case KindString:
		return v.s
	case KindBool:
		return v.n != 0
	case KindInt:
		return v.n
	case KindDateTime:
		return v.String()
	case KindMulti:
		if v.m == nil {
			return []string{}
		}
		return v.m
	}
	return nil
}

// GoString makes %#v readable in test failures.
func (v Value) GoString() string {
	if v.kind == KindMulti {
		return fmt.Sprintf("expr.%s(%q)", v.kind, v.m)
	}
	return fmt.Sprintf("expr.%s(%q)", v.kind, v.String())
}

// Equal reports whether a and b have the same kind and content.
func (v Value) Equal(o Value) bool {
	if v.kind != o.kind || v.s != o.s || v.n != o.n || len(v.m) != len(o.m) {
		return false
	}
	for i := range v.m {
		if v.m[i] != o.m[i] {
			return false
		}
	}
	return true
}

// ValueOf converts a Go value, typically decoded from JSON or read from
// Graph: nil, string, bool, integers, float64 and json.Number (integral
// values become KindInt, others their shortest decimal string), time.Time,
// []string and []any (elements rendered as strings; null elements dropped),
// and Value itself. Anything else is rendered with fmt.Sprint.
func ValueOf(x any) Value {
	switch t := x.(type) {
	case nil:
		return Value{}
	case Value:
		return t
	case string:
		return StringValue(t)
	case *string:
		if t == nil {
			return Value{}
		}
		return StringValue(*t)
	case bool:
		return BoolValue(t)
	case *bool:
		if t == nil {
			return Value{}
		}
		return BoolValue(*t)
	case int:
		return IntValue(int64(t))
	case int32:
		return IntValue(int64(t))
	case int64:
		return IntValue(t)
	case uint32:
		return IntValue(int64(t))
	case float64:
		return floatValue(t)
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return IntValue(n)
		}
		if f, err := t.Float64(); err == nil {
			return floatValue(f)
		}
		return StringValue(t.String())
	case time.Time:
		return TimeValue(t)
	case []string:
		return MultiValue(t)
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if ev := ValueOf(e); !ev.IsNull() {
				out = append(out, ev.String())
			}
		}
		return MultiValue(out)
	}
	return StringValue(fmt.Sprint(x))
}

func floatValue(f float64) Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return IntValue(int64(f))
	}
	return StringValue(strconv.FormatFloat(f, 'f', -1, 64))
}

// Attributes is the source object an expression reads. Eval calls Get with
// the attribute name lower-cased (strings.ToLower of the spelling in the
// expression), so an implementation that stores lower-cased keys needs no
// further work; other callers may pass any case, so implementations should
// match case-insensitively.
type Attributes interface {
	Get(name string) (Value, bool)
}

// MapAttributes adapts a map, e.g. a decoded JSON object or Graph user
// properties, converting each value once with ValueOf and folding key case.
// Keys that differ only in case collide; which one wins is unspecified.
func MapAttributes(m map[string]any) Attributes {
	out := make(mapAttrs, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = ValueOf(v)
	}
	return out
}

type mapAttrs map[string]Value

func (m mapAttrs) Get(name string) (Value, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	v, ok := m[strings.ToLower(name)]
	return v, ok
}

// AttributesFunc adapts a lookup function, e.g. over the transformer's own
// attribute bag: AttributesFunc(func(n string) (Value, bool) { v, ok :=
// bag.Get(n); return ValueOf(v), ok }).
type AttributesFunc func(name string) (Value, bool)

// Get calls f.
func (f AttributesFunc) Get(name string) (Value, bool) { return f(name) }
