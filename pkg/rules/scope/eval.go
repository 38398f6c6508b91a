package scope

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xtsync/xtsync/pkg/rules"
)

// Match reports whether attrs pass the filters and, if so, the index of the
// first matching filter group (-1 when there are no filters). It allocates
// nothing; use Explain for the per-clause trace a provisioning log shows.
func (f *Filters) Match(attrs rules.Attrs) (bool, int) {
	if f.Len() == 0 {
		return true, -1
	}
	for i := range f.groups {
		if f.groups[i].match(attrs) {
			return true, i
		}
	}
	return false, -1
}

func (g *cgroup) match(attrs rules.Attrs) bool {
	for i := range g.clauses {
		if ok, _ := g.clauses[i].eval(attrs); !ok {
			return false
		}
	}
	return true
}

// ClauseTrace is the outcome of one clause for one object.
type ClauseTrace struct {
	Clause Clause
	Actual any
	Match  bool
	// Note explains a false result that is not a plain mismatch (null value,
	// multi-valued value, not an integer).
	Note string
}

// GroupTrace is the outcome of one filter group.
type GroupTrace struct {
	Title   string
	Match   bool
	Clauses []ClauseTrace
}

// Explain evaluates every clause of every group (no short-circuit) so the
// provisioning log can say exactly which clause kept an object out.
func (f *Filters) Explain(attrs rules.Attrs) []GroupTrace {
	if f.Len() == 0 {
		return nil
	}
	out := make([]GroupTrace, len(f.groups))
	for i, g := range f.groups {
		gt := GroupTrace{Title: g.title, Match: true, Clauses: make([]ClauseTrace, len(g.clauses))}
		for j := range g.clauses {
			c := &g.clauses[j]
			ok, note := c.eval(attrs)
			actual, _ := attrs.Get(c.attr)
			gt.Clauses[j] = ClauseTrace{Clause: c.src, Actual: actual, Match: ok, Note: note}
			gt.Match = gt.Match && ok
		}
		out[i] = gt
	}
	return out
}

// Describe renders traces as one line per failed clause, for log steps.
func Describe(traces []GroupTrace) string {
	var b strings.Builder
	for i, g := range traces {
		title := g.Title
		if title == "" {
			title = fmt.Sprintf("filter %d", i+1)
		}
		for _, c := range g.Clauses {
			if c.Match {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s %s", title, c.Clause.Attribute, c.Clause.Operator)
			if c.Clause.Value != "" {
				fmt.Fprintf(&b, " '%s'", c.Clause.Value)
			}
			fmt.Fprintf(&b, " is false (value %s", render(c.Actual))
			if c.Note != "" {
				b.WriteString(", ")
				b.WriteString(c.Note)
			}
			b.WriteByte(')')
		}
	}
	return b.String()
}

func render(v any) string {
	if rules.IsEmpty(v) {
		return "null"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// Notes explaining a false result that is not an ordinary mismatch.
const (
	noteNull     = "null or empty values never match"
	noteMulti    = "multi-valued attributes are not supported by scoping filters"
	noteNotInt   = "not an integer"
	noteNotBool  = "not a Boolean"
	noteBadValue = "value type not comparable"
)

// eval applies one clause. The second result is a note for Explain.
func (c *cclause) eval(attrs rules.Attrs) (bool, string) {
	v, _ := attrs.Get(c.attr)
	if c.op == IsNull {
		return rules.IsEmpty(v), ""
	}
	if rules.IsEmpty(v) {
		return false, noteNull
	}
	switch v.(type) {
	case []string, []any:
		return false, noteMulti
	}
	switch c.op {
	case IsNotNull:
		return true, ""
	case IsTrue, IsFalse:
		b, ok := asBool(v)
		if !ok {
			return false, noteNotBool
		}
		return b == (c.op == IsTrue), ""
	case GreaterThan, GreaterThanOrEquals, LessThan, LessThanOrEquals:
		n, ok := asInt(v)
		if !ok {
			return false, noteNotInt
		}
		return compareInt(c.op, n, c.num), ""
	}
	s, ok := asString(v)
	if !ok {
		return false, noteBadValue
	}
	switch c.op {
	case Equals:
		return c.equal(v, s), ""
	case NotEquals:
		return !c.equal(v, s), ""
	case Includes:
		return strings.Contains(s, c.value), ""
	case EndsWith:
		return strings.HasSuffix(s, c.value), ""
	case Contained:
		return strings.Contains(c.value, s), ""
	case NotContained:
		return !strings.Contains(c.value, s), ""
	case RegexMatch:
		return c.re.MatchString(s), ""
	case NotRegexMatch:
		return !c.re.MatchString(s), ""
	}
	return false, noteBadValue
}

// equal is case-sensitive, except that Boolean attributes compare
// "true"/"True"/"TRUE" alike: .NET renders them "True", admins type "true".
func (c *cclause) equal(v any, s string) bool {
	if _, isBool := v.(bool); isBool || c.isBool {
		return strings.EqualFold(s, c.value)
	}
	return s == c.value
}

func compareInt(op Operator, a, b int64) bool {
	switch op {
	case GreaterThan:
		return a > b
	case GreaterThanOrEquals:
		return a >= b
	case LessThan:
		return a < b
	}
	return a <= b
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case time.Time:
		return x.UTC().Format(time.RFC3339), true
	}
	return "", false
}

func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

// asInt accepts integers and integral strings; "Greater_Than" is documented
// for integer attributes only, so 1.5 or "12a" never match.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		n := int64(x)
		return n, float64(n) == x
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
