package rules

import "strings"

// Attrs is a bag of attribute values keyed by lower-cased attribute name.
// Values are nil, string, bool, int64, float64, time.Time, []string or []any.
//
// Entra attribute names are case-insensitive ([userPrincipalName] and
// [UserPrincipalName] are the same attribute). Keys are folded once when the
// bag is built (NewAttrs) and compiled rules look names up already folded, so
// the hot path is a single map hit with no allocation.
type Attrs map[string]any

// NewAttrs copies m with lower-cased keys. Keys that differ only in case
// collide; which one wins is unspecified (Graph never returns both).
func NewAttrs(m map[string]any) Attrs {
	a := make(Attrs, len(m))
	for k, v := range m {
		a[strings.ToLower(k)] = v
	}
	return a
}

// Set stores v under the folded name.
func (a Attrs) Set(name string, v any) { a[strings.ToLower(name)] = v }

// Get returns the value of name (any case) and whether it is present.
func (a Attrs) Get(name string) (any, bool) {
	if v, ok := a[name]; ok {
		return v, true
	}
	v, ok := a[strings.ToLower(name)]
	return v, ok
}

// IsEmpty reports the provisioning notion of "null": absent, nil, an empty
// string or an empty collection.
func IsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}
