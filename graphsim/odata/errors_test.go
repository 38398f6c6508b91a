package odata_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/odata"
)

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("(", odata.MaxDepth+1) + "a eq 1" + strings.Repeat(")", odata.MaxDepth+1)
	deepNot := strings.Repeat("not ", odata.MaxDepth+1) + "a"
	deepLambda := strings.Repeat("a/any(x:", odata.MaxDepth+1) + "true" + strings.Repeat(")", odata.MaxDepth+1)
	tests := []struct {
		name, filter string
		code         string
		pos          int
		msg          string // substring
	}{
		{"empty", "", odata.CodeBadRequest, 0, "empty"},
		{"blank", "   ", odata.CodeBadRequest, 0, "empty"},
		{"injection", "' or 1 eq 1", odata.CodeBadRequest, 0, "Unterminated string literal"},
		{"injection tail", "displayName eq 'x' or 1 eq 1", odata.CodeUnsupportedQuery, 27, "two literals"},
		{"sql comment", "displayName eq 'x'--", odata.CodeBadRequest, 18, "Syntax error at position 18"},
		{"unbalanced quote", "displayName eq 'O'Brien'", odata.CodeBadRequest, 23, "Unterminated"},
		{"unterminated", "displayName eq 'abc", odata.CodeBadRequest, 15, "Unterminated"},
		{"missing rparen", "(a eq 'x'", odata.CodeBadRequest, 9, "Expected ')' but found end of input"},
		{"extra rparen", "a eq 'x')", odata.CodeBadRequest, 8, "Unexpected ')'"},
		{"missing operand", "a eq", odata.CodeBadRequest, 4, "Expected a literal"},
		{"missing op", "a 'x'", odata.CodeBadRequest, 2, "Unexpected"},
		{"dangling and", "a eq 'x' and", odata.CodeBadRequest, 12, "Unexpected end of input"},
		{"bad char", "a eq 'x' && b eq 'y'", odata.CodeBadRequest, 9, "Unexpected character '&'"},
		{"unicode ident", "displäyName eq 'x'", odata.CodeBadRequest, 5, "Unexpected character"},
		{"prop vs prop", "givenName eq surname", odata.CodeUnsupportedQuery, 13, "two properties"},
		{"contains", "contains(displayName,'x')", odata.CodeUnsupportedQuery, 0, "'contains' is not supported"},
		{"func needs string", "startswith(displayName, 1)", odata.CodeBadRequest, 24, "must be a string literal"},
		{"func on literal", "startswith('x', 'y')", odata.CodeBadRequest, 11, "Expected identifier"},
		{"null ordering", "a gt null", odata.CodeBadRequest, 5, "null can only be compared"},
		{"count non-int", "a/$count eq 'x'", odata.CodeBadRequest, 12, "$count must be compared with an integer"},
		{"count bare", "a/$count", odata.CodeBadRequest, 8, "$count must be compared"},
		{"all empty", "a/all()", odata.CodeBadRequest, 5, "all() needs"},
		{"lambda no colon", "a/any(x x eq 1)", odata.CodeBadRequest, 8, "Expected ':'"},
		{"outer var", "a/any(x:x/b/any(y:x eq 1))", odata.CodeUnsupportedQuery, 18, "outer range variable"},
		{"keyword as prop", "eq eq 1", odata.CodeBadRequest, 0, "Expected a property name"},
		{"empty in", "a in ()", odata.CodeBadRequest, 6, "Expected a literal in the 'in' list"},
		{"in no paren", "a in 'x'", odata.CodeBadRequest, 5, "Expected '('"},
		{"bad number", "a eq 12abc", odata.CodeBadRequest, 7, "Invalid numeric literal"},
		{"bad date", "a eq 2024-13-45T99:99:99Z", odata.CodeBadRequest, 5, "Invalid date literal"},
		{"dollar prop", "$top eq 1", odata.CodeBadRequest, 0, "Expected a property name"},
		{"literal alone", "'x'", odata.CodeBadRequest, 3, "Expected a comparison operator"},
		{"nul byte", "a eq 'x'\x00", odata.CodeBadRequest, 8, "Unexpected character"},
		{"too deep parens", deep, odata.CodeBadRequest, odata.MaxDepth, "nested too deeply"},
		{"too deep not", deepNot, odata.CodeBadRequest, 4 * odata.MaxDepth, "nested too deeply"},
		{"too deep lambda", deepLambda, odata.CodeBadRequest, 8*odata.MaxDepth + 5, "nested too deeply"},
		{"too long", "a eq '" + strings.Repeat("x", odata.MaxFilterLength) + "'", odata.CodeBadRequest, odata.MaxFilterLength, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := odata.ParseFilter(tc.filter)
			require.Nil(t, f)
			var oe *odata.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "$filter", oe.Option)
			require.Equal(t, tc.code, oe.Code, oe.Message)
			require.Equal(t, tc.pos, oe.Pos, oe.Message)
			require.Contains(t, oe.Message, tc.msg)
			require.LessOrEqual(t, len(oe.Message), 400, "messages must not echo huge input")
		})
	}
}

// TestFilterHostileInputIsCheap checks that inputs at the caps are rejected
// or parsed without pathological work: a long flat chain and a wide in-list.
func TestFilterHostileInputIsCheap(t *testing.T) {
	t.Parallel()
	chain := "a eq 1" + strings.Repeat(" or a eq 1", (odata.MaxFilterLength-6)/10)
	f, err := odata.ParseFilter(chain)
	require.NoError(t, err)
	require.True(t, f.Match(obj{"a": int64(1)}))

	wide := "a in (" + strings.Repeat("'x',", 1500) + "'y')"
	f, err = odata.ParseFilter(wide)
	require.NoError(t, err)
	require.True(t, f.Match(obj{"a": "Y"}))

	_, err = odata.ParseFilter(strings.Repeat("(", odata.MaxFilterLength))
	require.Error(t, err)
	_, err = odata.ParseFilter(strings.Repeat("'", odata.MaxFilterLength+1))
	require.Error(t, err)
}
