package scope_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

func one(attr, op, value string) []scope.Filter {
	return []scope.Filter{{Clauses: []scope.Clause{{Attribute: attr, Operator: op, Value: value}}}}
}

func TestOperators(t *testing.T) {
	t.Parallel()
	user := rules.NewAttrs(map[string]any{
		"department":          "Sales",
		"userPrincipalName":   "ann@contoso.com",
		"employeeId":          "1500000",
		"city":                "",
		"accountEnabled":      true,
		"showInAddressList":   "False",
		"extensionAttribute1": int64(42),
		"otherMails":          []string{"a@b"},
		"employeeHireDate":    time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
		"jobTitle":            "12a",
	})
	cases := []struct {
		name, attr, op, value string
		want                  bool
	}{
		// EQUALS / NOT EQUALS: case-sensitive; null is false for both.
		{"equals", "department", "EQUALS", "Sales", true},
		{"equals case", "department", "EQUALS", "sales", false},
		{"equals null", "mail", "EQUALS", "x", false},
		{"equals empty", "city", "EQUALS", "x", false},
		{"equals bool folds", "accountEnabled", "EQUALS", "true", true},
		{"equals int", "extensionAttribute1", "EQUALS", "42", true},
		{"equals time", "employeeHireDate", "EQUALS", "2020-01-02T00:00:00Z", true},
		{"not equals", "department", "NOT EQUALS", "HR", true},
		{"not equals same", "department", "NOT EQUALS", "Sales", false},
		{"not equals case", "department", "NOT EQUALS", "sales", true},
		{"not equals null", "mail", "NOT EQUALS", "x", false},
		// IS TRUE / IS FALSE.
		{"is true", "accountEnabled", "IS TRUE", "", true},
		{"is false on true", "accountEnabled", "IS FALSE", "", false},
		{"is false string", "showInAddressList", "IS FALSE", "", true},
		{"is true null", "mail", "IS TRUE", "", false},
		{"is true not bool", "department", "IS TRUE", "", false},
		// IS NULL / IS NOT NULL: empty string is null.
		{"is null absent", "mail", "IS NULL", "", true},
		{"is null empty", "city", "IS NULL", "", true},
		{"is null set", "department", "IS NULL", "", false},
		{"is not null", "department", "IS NOT NULL", "", true},
		{"is not null empty", "city", "IS NOT NULL", "", false},
		// REGEX MATCH: unanchored, case-sensitive; NOT REGEX false on null.
		{"regex", "userPrincipalName", "REGEX MATCH", `.*\@contoso.com`, true},
		{"regex case", "userPrincipalName", "REGEX MATCH", `ANN`, false},
		{"regex unanchored", "employeeId", "REGEX MATCH", `([1-9][0-9])`, true},
		{"regex null", "mail", "REGEX MATCH", `.*`, false},
		{"not regex", "userPrincipalName", "NOT REGEX MATCH", `.*\@fabrikam.com`, true},
		{"not regex matches", "userPrincipalName", "NOT REGEX MATCH", `contoso`, false},
		{"not regex null", "mail", "NOT REGEX MATCH", `x`, false},
		// Integers only.
		{"gt", "employeeId", "Greater_Than", "1000000", true},
		{"gt equal", "employeeId", "Greater_Than", "1500000", false},
		{"ge equal", "employeeId", "Greater_Than_OR_EQUALS", "1500000", true},
		{"gt int64 attr", "extensionAttribute1", "Greater_Than", "41", true},
		{"gt not int", "jobTitle", "Greater_Than", "1", false},
		{"gt null", "mail", "Greater_Than", "1", false},
		{"lt ext", "employeeId", "Less_Than", "2000000", true},
		{"le ext", "employeeId", "Less_Than_OR_EQUALS", "1499999", false},
		// Includes, ENDS_WITH, & and !&.
		{"includes", "userPrincipalName", "Includes", "@contoso", true},
		{"includes case", "userPrincipalName", "Includes", "@Contoso", false},
		{"ends with", "userPrincipalName", "ENDS_WITH", "contoso.com", true},
		{"ends with no", "userPrincipalName", "ENDS_WITH", "contoso.org", false},
		{"contained", "department", "&", "Sales,Marketing", true},
		{"contained no", "department", "&", "HR,Marketing", false},
		{"not contained", "department", "!&", "HR,Marketing", true},
		{"not contained null", "mail", "!&", "HR", false},
		// Multi-valued attributes never match (not supported by Entra).
		{"multi", "otherMails", "EQUALS", "a@b", false},
		{"multi not null", "otherMails", "IS NOT NULL", "", false},
		// Operator names fold case and space/underscore.
		{"fold", "department", "not_equals", "HR", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f, errs := scope.Compile(one(c.attr, c.op, c.value), nil)
			require.Empty(t, errs)
			got, _ := f.Match(user)
			require.Equal(t, c.want, got)
			tr := f.Explain(user)
			require.Len(t, tr, 1)
			require.Equal(t, c.want, tr[0].Match)
		})
	}
}

func TestGroupsOrClausesAnd(t *testing.T) {
	t.Parallel()
	f, errs := scope.Compile([]scope.Filter{
		{Title: "NY engineering", Clauses: []scope.Clause{
			{Attribute: "state", Operator: "EQUALS", Value: "New York"},
			{Attribute: "department", Operator: "EQUALS", Value: "Engineering"},
		}},
		{Title: "sales", Clauses: []scope.Clause{{Attribute: "department", Operator: "EQUALS", Value: "Sales"}}},
	}, schema.SourceUser)
	require.Empty(t, errs)
	ok, g := f.Match(rules.NewAttrs(map[string]any{"state": "New York", "department": "Engineering"}))
	require.True(t, ok)
	require.Equal(t, 0, g)
	ok, g = f.Match(rules.NewAttrs(map[string]any{"state": "Texas", "department": "Sales"}))
	require.True(t, ok)
	require.Equal(t, 1, g)
	a := rules.NewAttrs(map[string]any{"state": "Texas", "department": "Engineering"})
	ok, _ = f.Match(a)
	require.False(t, ok)
	require.Equal(t, `NY engineering: state EQUALS 'New York' is false (value "Texas"); sales: department EQUALS 'Sales' is false (value "Engineering")`,
		scope.Describe(f.Explain(a)))
	require.Equal(t, "(state EQUALS 'New York' AND department EQUALS 'Engineering') OR (department EQUALS 'Sales')", f.String())
}

func TestNoFiltersIsAllRecords(t *testing.T) {
	t.Parallel()
	f, errs := scope.Compile(nil, schema.SourceUser)
	require.Empty(t, errs)
	ok, g := f.Match(rules.Attrs{})
	require.True(t, ok)
	require.Equal(t, -1, g)
	require.Equal(t, "All records", f.String())
	var nilF *scope.Filters
	ok, _ = nilF.Match(nil)
	require.True(t, ok)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	_, errs := scope.Compile([]scope.Filter{
		{Clauses: []scope.Clause{{Attribute: "department", Operator: "EQUALS", Value: "x"}}},
		{Clauses: []scope.Clause{
			{Attribute: "department", Operator: "EQUAL", Value: "x"},
			{Attribute: "employeeId", Operator: "Greater_Than", Value: "1.5"},
			{Attribute: "mail", Operator: "REGEX MATCH", Value: "(?=x)"},
			{Attribute: "nope", Operator: "IS NULL"},
			{Attribute: "proxyAddresses", Operator: "Includes", Value: "smtp:"},
			{Attribute: "", Operator: "IS TRUE", Value: "x"},
			{Attribute: "city", Operator: "EQUALS"},
		}},
		{},
	}, schema.SourceUser)
	errs.Sort()
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Path + " " + string(e.Code)
	}
	require.Equal(t, []string{
		"scopingFilters[1].clauses[0].operator InvalidOperator",
		"scopingFilters[1].clauses[1].value InvalidFilterValue",
		"scopingFilters[1].clauses[2].value InvalidFilterValue",
		"scopingFilters[1].clauses[3].attribute SchemaAttributeNotFound",
		"scopingFilters[1].clauses[4].attribute Unsupported",
		"scopingFilters[1].clauses[5].attribute Required",
		"scopingFilters[1].clauses[5].value InvalidFilterValue",
		"scopingFilters[1].clauses[6].value InvalidFilterValue",
		"scopingFilters[2].clauses Required",
	}, got)
	require.Contains(t, errs[0].Error(), `scopingFilters[1].clauses[0].operator: unknown operator "EQUAL"`)
}

func TestOperatorCatalogue(t *testing.T) {
	t.Parallel()
	ops := scope.Operators()
	require.Len(t, ops, 16)
	documented := 0
	for _, op := range ops {
		back, ok := scope.ParseOperator(op.String())
		require.True(t, ok, op.String())
		require.Equal(t, op, back)
		if op.Documented() {
			documented++
		}
	}
	require.Equal(t, 14, documented)
}

func BenchmarkMatch(b *testing.B) {
	f, _ := scope.Compile([]scope.Filter{{Clauses: []scope.Clause{
		{Attribute: "department", Operator: "EQUALS", Value: "Sales"},
		{Attribute: "userPrincipalName", Operator: "REGEX MATCH", Value: `@contoso\.com$`},
	}}}, schema.SourceUser)
	a := rules.NewAttrs(map[string]any{"department": "Sales", "userPrincipalName": "ann@contoso.com"})
	b.ReportAllocs()
	for b.Loop() {
		f.Match(a)
	}
}
