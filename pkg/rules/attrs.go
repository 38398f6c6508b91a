package rules

import "strings"

// Attrs is a bag of attribute values keyed by attribute name. Values are
// nil, string, bool, int64, float64, time.Time, []string or []any.
//
// Entra attribute names are case-insensitive ([userPrincipalName] and
// [UserPrincipalName] are the same attribute), so Get falls back to a
// case-insensitive scan when the exact key is missing. The exact hit is the
// hot path: readers store Graph's camelCase names.
type Attrs map[string]any

// Get returns the value of name and whether the attribute is present.
func (a Attrs) Get(name string) (any, bool) {
	if v, ok := a[name]; ok {
		return v, true
	}
	for k, v := range a {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
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
