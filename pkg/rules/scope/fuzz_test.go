package scope_test

import (
	"testing"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// FuzzClause compiles arbitrary operator/value pairs (regexes, integers) and
// evaluates them against an arbitrary attribute value: compile either fails
// with field errors or yields a filter whose Match and Explain agree and
// never panic.
func FuzzClause(f *testing.F) {
	f.Add("department", "EQUALS", "Sales", "Sales")
	f.Add("userPrincipalName", "REGEX MATCH", `.*\@domain.com`, "a@domain.com")
	f.Add("employeeId", "Greater_Than", "1000000", "1500000")
	f.Add("mail", "NOT REGEX MATCH", `(a+)+$`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")
	f.Add("city", "IS NULL", "", "")
	f.Add("x", "&", "a,b", "a")
	f.Fuzz(func(t *testing.T, attr, op, value, actual string) {
		fs, errs := scope.Compile(one(attr, op, value), schema.SourceUser)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Path == "" || e.Code == "" {
					t.Fatalf("error without path or code: %v", e)
				}
			}
			return
		}
		a := rules.NewAttrs(map[string]any{attr: actual})
		ok, _ := fs.Match(a)
		if tr := fs.Explain(a); tr[0].Match != ok {
			t.Fatalf("Match=%v Explain=%v", ok, tr[0].Match)
		}
		_ = scope.Describe(fs.Explain(a))
	})
}
