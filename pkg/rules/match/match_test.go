package match_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

func TestLiteral(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"ann@contoso.com", "'ann@contoso.com'", true},
		{"O'Brien", "'O''Brien'", true},
		{"''", "''''''", true},
		{"a') or (1 eq 1", "'a'') or (1 eq 1'", true},
		{"", "", false},
		{"a\nb", "", false},
		{"a\x00", "", false},
		{"a\u0085", "", false},
		{"\xff", "", false},
	}
	for _, c := range cases {
		got, err := match.Literal("mail", c.in)
		if !c.ok {
			require.NotNil(t, err, c.in)
			require.Equal(t, rules.InvalidMatchValue, err.Code)
			continue
		}
		require.Nil(t, err, c.in)
		require.Equal(t, c.want, got)
	}
}

func compile(t *testing.T) *mapping.Set {
	t.Helper()
	set, errs := mapping.Compile([]mapping.Spec{
		{Target: "alternativeSecurityIds", Type: mapping.Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 1},
		{Target: "displayName", Type: mapping.Direct, Source: "displayName"},
		{Target: "mail", Type: mapping.Direct, Source: "mail", MatchingPrecedence: 2},
		{Target: "otherMails", Type: mapping.Direct, Source: "otherMails", MatchingPrecedence: 3},
	}, mapping.Options{ObjectType: schema.UserType, SourceTenantID: "t-1", CustomMatching: true})
	require.Empty(t, errs)
	return set
}

func TestQueries(t *testing.T) {
	t.Parallel()
	set := compile(t)
	var out mapping.Output
	require.Empty(t, set.Evaluate(rules.NewAttrs(map[string]any{
		"netId": "n'1", "mail": "o'brien@contoso.com", "otherMails": []string{"x@y"},
	}), mapping.Create, nil, &out))
	qs, err := match.Queries(set, &out)
	require.Nil(t, err)
	require.Equal(t, []match.Query{
		{Precedence: 1, Attribute: "alternativeSecurityIds", Value: "AltSecIdFromNetId(t-1/n'1)",
			Filter: "alternativeSecurityIds/any(a:a/identityProvider eq 't-1' and a/key eq 'n''1')"},
		{Precedence: 2, Attribute: "mail", Value: "o'brien@contoso.com", Filter: "mail eq 'o''brien@contoso.com'"},
		{Precedence: 3, Attribute: "otherMails", Value: "x@y", Filter: "otherMails/any(x:x eq 'x@y')"},
	}, qs)

	require.Empty(t, set.Evaluate(rules.NewAttrs(map[string]any{"mail": "a@b"}), mapping.Create, nil, &out))
	_, err = match.Queries(set, &out)
	require.NotNil(t, err)
	require.Equal(t, rules.ImportSkipped, err.Code)

	require.Empty(t, set.Evaluate(rules.NewAttrs(map[string]any{"netId": "n1", "mail": "a\tb"}), mapping.Create, nil, &out))
	_, err = match.Queries(set, &out)
	require.Equal(t, rules.InvalidMatchValue, err.Code)
}

func TestResolve(t *testing.T) {
	t.Parallel()
	qs := []match.Query{{Precedence: 1, Attribute: "alternativeSecurityIds"}, {Precedence: 2, Attribute: "mail", Value: "a@b"}}
	cases := []struct {
		name    string
		results [][]match.Candidate
		found   string
		code    rules.Code
	}{
		{"nothing", [][]match.Candidate{nil, nil}, "", ""},
		{"first wins", [][]match.Candidate{{{ID: "x", External: true}}, {{ID: "y", External: true}}}, "x", ""},
		{"falls through", [][]match.Candidate{nil, {{ID: "y", External: true}}}, "y", ""},
		{"duplicate", [][]match.Candidate{nil, {{ID: "y", External: true}, {ID: "z", External: true}}}, "", rules.DuplicateTargetEntries},
		{"internal user", [][]match.Candidate{nil, {{ID: "y"}}}, "", rules.EntryConflict},
		{"short results", [][]match.Candidate{nil}, "", ""},
	}
	for _, c := range cases {
		out, err := match.Resolve(qs, c.results)
		if c.code != "" {
			require.NotNil(t, err, c.name)
			require.Equal(t, c.code, err.Code, c.name)
			continue
		}
		require.Nil(t, err, c.name)
		if c.found == "" {
			require.Nil(t, out.Found, c.name)
		} else {
			require.Equal(t, c.found, out.Found.ID, c.name)
		}
	}
	require.Equal(t, rules.EntryConflict, match.ConflictCode("Request_BadRequest", "Another object with the same value for property userPrincipalName already exists."))
	require.Equal(t, rules.Code(""), match.ConflictCode("Request_ResourceNotFound", "x"))
}

func FuzzLiteral(f *testing.F) {
	for _, s := range []string{"a", "O'Brien", "a\nb", "\xff", "''"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := match.Literal("a", s)
		if err != nil {
			return
		}
		// The literal must be quote-balanced: stripping the outer quotes and
		// un-doubling gives back s, and no lone quote remains inside.
		inner := lit[1 : len(lit)-1]
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\'' {
				if i+1 >= len(inner) || inner[i+1] != '\'' {
					t.Fatalf("lone quote in %q", lit)
				}
				i++
			}
		}
	})
}
