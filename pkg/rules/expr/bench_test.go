package expr_test

import (
	"testing"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

// defaultMappings approximates a cross-tenant sync configuration's default
// attribute mappings plus typical customisations; ~20 per object.
var defaultMappings = []string{
	`[displayName]`,
	`[givenName]`,
	`[surname]`,
	`[jobTitle]`,
	`[department]`,
	`[mail]`,
	`Join(" ", [givenName], [surname])`,
	`ToLower(NormalizeDiacritics(Append([mailNickname], "@contoso.example")))`,
	`IIF([accountEnabled]="True","Member","Guest")`,
	`Switch([IsSoftDeleted], , "False", "True", "True", "False")`,
	`Coalesce([mail],[userPrincipalName])`,
	`Switch([department], "Other", "Sales", "EXT_Sales", "Engineering", "EXT_Eng")`,
	`Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )`,
	`Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))`,
	`IgnoreFlowIfNullOrEmpty([companyName])`,
	`Join("@", NormalizeDiacritics(StripSpaces(Join(".", [givenName], [surname]))), "contoso.example")`,
	`PCase([city])`,
	`FormatDateTime([employeeHireDate], , "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd")`,
	`Count([proxyAddresses])`,
	`Item([otherMails], 1)`,
}

var benchUser = expr.MapAttributes(map[string]any{
	"displayName":       "Zoë Lovelace",
	"givenName":         "Zoë",
	"surname":           "Lovelace",
	"jobTitle":          "Engineer",
	"department":        "Engineering",
	"mail":              "zoe.lovelace@fabrikam.example",
	"mailNickname":      "Zoe.Lovelace",
	"userPrincipalName": "zoe.lovelace@fabrikam.example",
	"accountEnabled":    true,
	"IsSoftDeleted":     "False",
	"companyName":       "Fabrikam",
	"city":              "NEW YORK",
	"employeeHireDate":  "2021-06-30T08:00:00Z",
	"proxyAddresses":    []string{"SMTP:zoe.lovelace@fabrikam.example", "smtp:zl@fabrikam.example"},
	"otherMails":        []string{"zoe@example.org"},
})

func BenchmarkEval(b *testing.B) {
	for _, src := range defaultMappings {
		p := expr.MustCompile(src)
		env := &expr.Env{Attrs: benchUser}
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Eval(env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMappingSet is one object through the whole default set: the unit
// of work repeated for every user in a cycle.
func BenchmarkMappingSet(b *testing.B) {
	progs := make([]*expr.Program, len(defaultMappings))
	for i, src := range defaultMappings {
		progs[i] = expr.MustCompile(src)
	}
	env := &expr.Env{Attrs: benchUser}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range progs {
			if _, err := p.Eval(env); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range defaultMappings {
			if _, err := expr.Compile(src, expr.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
