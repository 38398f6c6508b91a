package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// AltSecID is the B2B identity cross-tenant sync writes to
// alternativeSecurityIds: the source tenant plus the source user's netId.
// Graph v1.0 does not expose netId (Entra's internal PUID), so xtsync readers
// put the immutable source object id there; the pair is unique and stable
// either way, which is all matching needs.
type AltSecID struct {
	TenantID string
	NetID    string
}

func (a AltSecID) String() string { return "AltSecIdFromNetId(" + a.TenantID + "/" + a.NetID + ")" }

// Ref is a reference to another source object (manager, group member). The
// decision resolves it to a target id through the connector data store.
type Ref struct{ SourceID string }

func (r Ref) String() string { return "ref:" + r.SourceID }

// coerce converts a mapped value to the target attribute's type. Strings
// from Constant mappings and expressions become Booleans, integers and
// dates; a single value becomes a one-element list for multi-valued
// attributes.
func coerce(v any, a schema.Attribute) (any, error) {
	if rules.IsEmpty(v) {
		return nil, nil
	}
	if a.Multi {
		return coerceMulti(v, a)
	}
	if list, ok := asList(v); ok {
		if len(list) != 1 {
			return nil, rules.Errorf(rules.SchemaPropertyCanOnlyAcceptValue, a.Name,
				"%d values for single-valued attribute", len(list))
		}
		v = list[0]
	}
	switch a.Type {
	case schema.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, nil
			}
		}
		return nil, rules.Errorf(rules.InvalidAttributeValue, a.Name, "%v is not a Boolean", v)
	case schema.Integer:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, rules.Errorf(rules.InvalidAttributeValue, a.Name, "%v is not an integer", v)
	case schema.DateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			if t, err := time.Parse(time.RFC3339, strings.TrimSpace(x)); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, rules.Errorf(rules.InvalidAttributeValue, a.Name, "%v is not a date (RFC 3339)", v)
	case schema.Reference:
		if _, ok := v.(Ref); ok {
			return v, nil
		}
		return Ref{SourceID: toString(v)}, nil
	case schema.Binary:
		if _, ok := v.(AltSecID); ok {
			return v, nil
		}
	}
	if _, ok := v.(string); ok {
		return v, nil // already boxed: no copy per mapped value
	}
	return toString(v), nil
}

func coerceMulti(v any, a schema.Attribute) (any, error) {
	list, ok := asList(v)
	if !ok {
		list = []any{v}
	}
	if a.Type == schema.Reference {
		out := make([]Ref, 0, len(list))
		for _, e := range list {
			if r, ok := e.(Ref); ok {
				out = append(out, r)
			} else if !rules.IsEmpty(e) {
				out = append(out, Ref{SourceID: toString(e)})
			}
		}
		return out, nil
	}
	if a.Type == schema.Binary {
		if len(list) == 1 {
			if id, ok := list[0].(AltSecID); ok {
				return id, nil
			}
		}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		if !rules.IsEmpty(e) {
			out = append(out, toString(e))
		}
	}
	return out, nil
}

func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Hash returns a stable 64-bit FNV-1a hash of a mapped value. The connector
// data store keeps one per exported attribute so an update sends only the
// attributes whose mapped output changed. Types are tagged and strings
// length-prefixed so "1", 1, true and ["a","b"] vs ["ab"] never collide.
// It does not allocate: it runs for every attribute of every object.
func Hash(v any) uint64 {
	h := fnv(offset64)
	switch x := v.(type) {
	case nil:
		h.tag('n', 0)
	case string:
		h.str('s', x)
	case bool:
		if x {
			h.tag('b', 1)
		} else {
			h.tag('b', 0)
		}
	case int64:
		h.tag('i', uint64(x))
	case float64:
		h.tag('f', math.Float64bits(x))
	case time.Time:
		h.tag('t', uint64(x.UnixNano()))
	case []string:
		h.tag('l', uint64(len(x)))
		for _, s := range x {
			h.str('s', s)
		}
	case Ref:
		h.str('r', x.SourceID)
	case []Ref:
		h.tag('L', uint64(len(x)))
		for _, r := range x {
			h.str('r', r.SourceID)
		}
	case AltSecID:
		h.str('a', x.TenantID)
		h.str('a', x.NetID)
	default:
		h.str('?', fmt.Sprint(x))
	}
	return uint64(h)
}

const (
	offset64 = 14695981039346656037
	prime64  = 1099511628211
)

type fnv uint64

func (h *fnv) byte(b byte) { *h = (*h ^ fnv(b)) * prime64 }

func (h *fnv) tag(t byte, n uint64) {
	h.byte(t)
	for i := 0; i < 8; i++ {
		h.byte(byte(n >> (8 * i)))
	}
}

func (h *fnv) str(t byte, s string) {
	h.tag(t, uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}
