// Package match turns matching attributes into target lookups and resolves
// what the lookups found. Existing B2B users (invited before sync) are found
// and taken over, never duplicated; ambiguous or forbidden matches become
// per-object errors with Entra's codes.
package match

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// Query is one target lookup, tried in precedence order: the first query
// that finds anything decides.
type Query struct {
	Precedence int
	// Attribute is the target attribute name (Entra spelling).
	Attribute string
	// Value renders the looked-up value for logs.
	Value string
	// Filter is a Graph $filter expression, already escaped.
	Filter string
}

// Queries builds the lookups for the matching mappings of set from an
// evaluated output. A missing value for the precedence-1 attribute is
// ImportSkipped (Entra cannot scope, match or export such an object); later
// precedences without a value are simply not tried.
func Queries(set *mapping.Set, out *mapping.Output) ([]Query, *rules.Error) {
	ms := set.Matching()
	qs := make([]Query, 0, len(ms))
	for i, m := range ms {
		r := out.Results[indexOf(set, m)]
		if !r.Flow || rules.IsEmpty(r.Value) {
			if i == 0 {
				return nil, rules.Errorf(rules.ImportSkipped, m.Attr.Name,
					"no value for matching attribute %s (%s)", m.Attr.Name, m.Describe())
			}
			continue
		}
		q, err := build(m.Attr, r.Value)
		if err != nil {
			return nil, err
		}
		q.Precedence = m.Spec.MatchingPrecedence
		qs = append(qs, q)
	}
	return qs, nil
}

func indexOf(set *mapping.Set, m *mapping.Mapping) int {
	ms := set.Mappings()
	for i := range ms {
		if &ms[i] == m {
			return i
		}
	}
	return -1
}

// build renders the $filter for one attribute value.
//
// alternativeSecurityIds is not filterable on users in public Graph v1.0;
// the lookup uses the same lambda shape Graph offers on devices, which the
// xtsync Graph simulator implements and the production writer translates to
// the invitation-manager lookup (see services/internal/graph).
func build(a schema.Attribute, v any) (Query, *rules.Error) {
	q := Query{Attribute: a.Name}
	switch x := v.(type) {
	case mapping.AltSecID:
		tenant, err := Literal(a.Name, x.TenantID)
		if err != nil {
			return q, err
		}
		key, err := Literal(a.Name, x.NetID)
		if err != nil {
			return q, err
		}
		q.Value = x.String()
		q.Filter = "alternativeSecurityIds/any(a:a/identityProvider eq " + tenant + " and a/key eq " + key + ")"
		return q, nil
	case []string:
		if len(x) == 0 {
			return q, rules.Errorf(rules.InvalidMatchValue, a.Name, "empty multi-valued matching value")
		}
		lit, err := Literal(a.Name, x[0])
		if err != nil {
			return q, err
		}
		q.Value = x[0]
		q.Filter = graphName(a) + "/any(x:x eq " + lit + ")"
		return q, nil
	case bool:
		q.Value = strconv.FormatBool(x)
		q.Filter = graphName(a) + " eq " + q.Value
		return q, nil
	case int64:
		q.Value = strconv.FormatInt(x, 10)
		q.Filter = graphName(a) + " eq " + q.Value
		return q, nil
	}
	s, _ := v.(string)
	if st, ok := v.(interface{ String() string }); ok && s == "" {
		s = st.String()
	}
	lit, err := Literal(a.Name, s)
	if err != nil {
		return q, err
	}
	q.Value = s
	q.Filter = graphName(a) + " eq " + lit
	return q, nil
}

func graphName(a schema.Attribute) string {
	if a.Graph != "" {
		return a.Graph
	}
	return a.Name
}

// MaxLiteralLen bounds a matching value; Graph rejects long URLs anyway.
const MaxLiteralLen = 1024

// Literal renders s as an OData string literal: single quotes doubled.
// Control characters, invalid UTF-8, empty and over-long values are refused
// (InvalidMatchValue) rather than escaped: no legitimate identifier holds
// them and they are how filter injection starts.
func Literal(attr, s string) (string, *rules.Error) {
	switch {
	case s == "":
		return "", rules.Errorf(rules.InvalidMatchValue, attr, "empty matching value")
	case len(s) > MaxLiteralLen:
		return "", rules.Errorf(rules.InvalidMatchValue, attr, "matching value longer than %d bytes", MaxLiteralLen)
	case !utf8.ValidString(s):
		return "", rules.Errorf(rules.InvalidMatchValue, attr, "matching value is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return "", rules.Errorf(rules.InvalidMatchValue, attr, "matching value contains control character %U", r)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
