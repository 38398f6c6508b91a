// Package scope decides whether a source object is in scope: the scope mode
// and assignments of "Users and groups", the attribute-based scoping filters
// of "Source Object Scope", and the group types cross-tenant sync supports.
package scope

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// Filter is one scoping filter ("filter group"): its clauses are ANDed.
// A list of filters is ORed: an object is in scope if any filter matches.
type Filter struct {
	Title   string   `json:"title,omitempty" yaml:"title,omitempty"`
	Clauses []Clause `json:"clauses" yaml:"clauses"`
}

// Clause is one condition on one source attribute.
type Clause struct {
	Attribute string `json:"attribute" yaml:"attribute"`
	Operator  string `json:"operator" yaml:"operator"`
	Value     string `json:"value,omitempty" yaml:"value,omitempty"`
}

// MaxRegexLen bounds a REGEX MATCH pattern; RE2 is linear-time, but a
// megabyte pattern is a mistake, not a filter.
const MaxRegexLen = 4096

// Filters is a compiled, immutable set of scoping filters, safe for
// concurrent use. The zero value (no filters) lets every object through,
// which is Entra's "All records".
type Filters struct {
	groups []cgroup
}

type cgroup struct {
	title   string
	clauses []cclause
}

type cclause struct {
	src    Clause
	attr   string // folded attribute name
	op     Operator
	value  string
	num    int64
	re     *regexp.Regexp
	isBool bool // source schema says Boolean: compare EQUALS case-insensitively
}

// Compile checks and compiles filters against the source schema src (nil
// skips attribute checks). Every problem is returned, each with a path like
// "scopingFilters[1].clauses[0].operator"; regexes are compiled here once.
func Compile(filters []Filter, src *schema.Object) (*Filters, rules.FieldErrors) {
	var errs rules.FieldErrors
	out := &Filters{groups: make([]cgroup, 0, len(filters))}
	for i, f := range filters {
		fp := rules.Index("scopingFilters", i)
		if len(f.Clauses) == 0 {
			errs.Addf(rules.Required, rules.JoinPath(fp, "clauses"), "a scoping filter needs at least one clause")
			continue
		}
		g := cgroup{title: f.Title, clauses: make([]cclause, 0, len(f.Clauses))}
		for j, c := range f.Clauses {
			cc, cerrs := compileClause(c, src, rules.JoinPath(fp, rules.Index("clauses", j)))
			errs = append(errs, cerrs...)
			g.clauses = append(g.clauses, cc)
		}
		out.groups = append(out.groups, g)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func compileClause(c Clause, src *schema.Object, path string) (cclause, rules.FieldErrors) {
	var errs rules.FieldErrors
	cc := cclause{src: c, attr: strings.ToLower(strings.TrimSpace(c.Attribute)), value: c.Value}
	if cc.attr == "" {
		errs.Addf(rules.Required, rules.JoinPath(path, "attribute"), "attribute is required")
	} else if src != nil {
		a, ok := src.Lookup(cc.attr)
		switch {
		case !ok:
			errs.Addf(rules.SchemaAttributeNotFound, rules.JoinPath(path, "attribute"),
				"unknown %s attribute %q", src.Name, c.Attribute)
		case a.Multi:
			errs.Addf(rules.Unsupported, rules.JoinPath(path, "attribute"),
				"%q is multi-valued; scoping filters do not support multi-valued attributes", c.Attribute)
		default:
			cc.isBool = a.Type == schema.Boolean
		}
	}
	op, ok := ParseOperator(c.Operator)
	if !ok {
		errs.Addf(rules.InvalidOperator, rules.JoinPath(path, "operator"), "unknown operator %q", c.Operator)
		return cc, errs
	}
	cc.op = op
	vpath := rules.JoinPath(path, "value")
	switch {
	case !op.HasValue() && c.Value != "":
		errs.Addf(rules.InvalidFilterValue, vpath, "operator %s takes no value", op)
	case op.HasValue() && c.Value == "":
		errs.Addf(rules.InvalidFilterValue, vpath, "operator %s needs a value", op)
	}
	switch op {
	case GreaterThan, GreaterThanOrEquals, LessThan, LessThanOrEquals:
		n, err := strconv.ParseInt(strings.TrimSpace(c.Value), 10, 64)
		if err != nil && c.Value != "" {
			errs.Add(rules.Errorf(rules.InvalidFilterValue, vpath,
				"operator %s compares integers; %q is not an integer", op, c.Value).Wrap(err))
		}
		cc.num = n
	case RegexMatch, NotRegexMatch:
		if len(c.Value) > MaxRegexLen {
			errs.Addf(rules.InvalidFilterValue, vpath, "regular expression longer than %d bytes", MaxRegexLen)
			break
		}
		re, err := regexp.Compile(c.Value)
		if err != nil {
			errs.Add(rules.Errorf(rules.InvalidFilterValue, vpath,
				"regular expression does not compile (RE2 syntax; .NET lookarounds and backreferences are not supported)").Wrap(err))
		}
		cc.re = re
	}
	return cc, errs
}

// Len returns the number of filter groups.
func (f *Filters) Len() int {
	if f == nil {
		return 0
	}
	return len(f.groups)
}

// String renders the filters the way a provisioning log shows them.
func (f *Filters) String() string {
	if f.Len() == 0 {
		return "All records"
	}
	var b strings.Builder
	for i, g := range f.groups {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j, c := range g.clauses {
			if j > 0 {
				b.WriteString(" AND ")
			}
			fmt.Fprintf(&b, "%s %s", c.src.Attribute, c.op)
			if c.op.HasValue() {
				fmt.Fprintf(&b, " '%s'", c.value)
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
