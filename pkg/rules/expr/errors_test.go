package expr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("ToLower(", expr.MaxDepth+1) + "[a]" + strings.Repeat(")", expr.MaxDepth+1)
	tests := []struct {
		src  string
		pos  int
		want string // exact Error()
	}{
		{`Join(" ", [a]`, 13, `expr: position 13: expected ")" or ",", found end of input`},
		{`Join(" " [a])`, 9, `expr: position 9: expected ")" or ",", found attribute [a]`},
		{``, 0, `expr: position 0: expected expression, found end of input`},
		{`   `, 3, `expr: position 3: expected expression, found end of input`},
		{`Append([a], "x") )`, 17, `expr: position 17: expected end of input, found ")"`},
		{`Append([a, "x")`, 7, `expr: position 7: unterminated attribute name: missing "]"`},
		{`Append([], "x")`, 7, `expr: position 7: empty attribute name "[]"`},
		{`Append([a], "x)`, 12, `expr: position 12: unterminated string literal: missing closing '"'`},
		{`Append([a], 'x')`, 12, `expr: position 12: expected expression, found '\''`},
		{`BitAnd(&Q1, 1)`, 8, `expr: position 8: expected "H" after "&" (hex literal such as &HF7), found 'Q'`},
		{`BitAnd(&H, 1)`, 9, `expr: position 9: expected hex digit, found ','`},
		{`Left([a], -)`, 11, `expr: position 11: expected digit after "-", found ')'`},
		{`Left([a], 99999999999999999999)`, 10, `expr: position 10: number 99999999999999999999 out of 64-bit range`},
		{`IIF([a]="x"="y", 1, 2)`, 11, `expr: position 11: comparisons cannot be chained; nest IIF calls instead`},
		{`IIF([a]=, 1, 2)`, 8, `expr: position 8: expected expression, found ","`},
		{`Join(",", [a]) Join(",", [b])`, 15, `expr: position 15: expected end of input, found identifier Join`},
		{deep, 800, `expr: position 800: expression nested deeper than 100 levels`},
		{strings.Repeat(" ", expr.MaxSourceLen+1), expr.MaxSourceLen, `expr: position 65536: expression longer than 65536 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			_, err := expr.Compile(tt.src, expr.Options{})
			var se *expr.SyntaxError
			require.True(t, errors.As(err, &se), "got %T %v", err, err)
			require.Equal(t, tt.pos, se.Pos)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	known := func(name string) bool { return strings.EqualFold(name, "givenName") || strings.EqualFold(name, "mail") }
	tests := []struct {
		src  string
		fn   string
		arg  int
		pos  int
		want string // substring of Error()
	}{
		{`Appendd([givenName], "x")`, "Appendd", 0, 0, "unknown function Appendd (did you mean Append?)"},
		{`Frobnicate()`, "Frobnicate", 0, 0, "unknown function Frobnicate"},
		{`Append([givenName])`, "Append", 0, 0, "Append: takes 2 arguments, got 1"},
		{`ToLower()`, "ToLower", 0, 0, "takes 1 to 2 arguments, got 0"},
		{`Guid(1)`, "Guid", 0, 0, "takes 0 arguments, got 1"},
		{`Join(",")`, "Join", 0, 0, "takes at least 2 arguments, got 1"},
		{`Append(, "x")`, "Append", 1, 7, "Append argument 1: required argument is missing"},
		{`Append([surname], "x")`, "", 0, 7, "unknown attribute [surname]"},
		{`Join(",", [givenName], [Mail], [sn])`, "", 0, 31, "unknown attribute [sn]"},
		{`Append(givenName, "x")`, "", 0, 7, "unknown identifier givenName"},
		{`Left([givenName], "three")`, "Left", 2, 18, `"three" is not an integer`},
		{`Item([mail], 0)`, "Item", 2, 13, "index counts from 1, got 0"},
		{`Mid([mail], 1, -1)`, "Mid", 3, 15, "length must not be negative"},
		{`InStr([mail], "a", 0)`, "InStr", 3, 19, "start must be 1 or more"},
		{`InStr([mail], "a", 1, 7)`, "InStr", 4, 22, "compareType must be vbBinaryCompare or vbTextCompare"},
		{`Switch([mail], "d", "k")`, "Switch", 0, 0, "takes at least 4 arguments, got 3"},
		{`Switch([mail], "d", "k", "v", "k2")`, "Switch", 0, 0, "an even number of arguments"},
		{`DateAdd("fortnight", 1, Now())`, "DateAdd", 1, 8, `interval "fortnight" is not one of`},
		{`DateDiff("x", Now(), Now())`, "DateDiff", 1, 9, "interval"},
		{`FormatDateTime([mail], , "yyyy-MM-dd", "Q")`, "FormatDateTime", 4, 39, `"Q" is not a standard date format`},
		{`FormatDateTime([mail], "Sideways", "yyyy", "yyyy")`, "FormatDateTime", 2, 23, `unknown DateTimeStyles value "Sideways"`},
		{`FormatDateTime([mail], , "'yyyy", "yyyy")`, "FormatDateTime", 3, 25, "unterminated quote"},
		{`ToLower([mail], "not a culture!")`, "ToLower", 2, 16, "invalid culture"},
		{`Replace([mail], "a", "b", , "c", , )`, "Replace", 0, 0, "give oldValue or regexPattern, not both"},
		{`Replace([mail], , , , "c", , )`, "Replace", 0, 0, "needs oldValue or regexPattern"},
		{`Replace([mail], "a", , , , , )`, "Replace", 0, 0, "with oldValue give exactly one of replacementValue and template"},
		{`Replace([mail], "a", , , "b", , "t")`, "Replace", 0, 0, "exactly one of"},
		{`Replace([mail], , "(?=x)", , "", , )`, "Replace", 3, 18, "invalid regexPattern"},
		{`Replace([mail], , "(?<a>x)", "b", "", , )`, "Replace", 4, 29, `regexPattern has no group named "b"`},
		{`Replace([mail], , "x", , , [givenName], )`, "Replace", 6, 27, "replacementAttributeName needs regexGroupName"},
		{`Replace([mail], , "x", , "y", , "t")`, "Replace", 7, 32, "template needs oldValue"},
		{`RandomString(300, 0, 0, 0, 0)`, "RandomString", 0, 0, "length must be 1 to 256"},
		{`RandomString(4, 2, 2, 2, 0)`, "RandomString", 0, 0, "less than the sum of the minimums"},
		{`RandomString(4, 1, 0, 0, 0, "0123456789")`, "RandomString", 0, 0, "charactersToAvoid excludes every character of a class"},
		{`ToLower(SelectUniqueValue([mail], [givenName]))`, "SelectUniqueValue", 0, 8, "cannot be nested"},
		{`AppRoleAssignmentsComplex([mail])`, "AppRoleAssignmentsComplex", 0, 0, "not supported for cross-tenant synchronization"},
		{`IIF("maybe", 1, 2)`, "IIF", 1, 4, `"maybe" is not a boolean`},
		{`BitAnd("x", 1)`, "BitAnd", 1, 7, `"x" is not an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			_, err := expr.Compile(tt.src, expr.Options{KnownAttribute: known})
			var ce *expr.CheckError
			require.True(t, errors.As(err, &ce), "got %T %v", err, err)
			require.Equal(t, tt.fn, ce.Func)
			require.Equal(t, tt.arg, ce.Arg)
			require.Equal(t, tt.pos, ce.Pos)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCheckErrorWrapsRegexpError(t *testing.T) {
	t.Parallel()
	_, err := expr.Compile(`Replace([a], , "(", , "", , )`, expr.Options{})
	var ce *expr.CheckError
	require.ErrorAs(t, err, &ce)
	require.Error(t, errors.Unwrap(err))
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src   string
		attrs map[string]any
		fn    string
		arg   int
		want  string
	}{
		{`Append([a], "x")`, map[string]any{"a": []string{"1", "2"}}, "Append", 1, "multi-valued attribute where a single value is expected (it has 2 values)"},
		{`Left([a], [n])`, map[string]any{"a": "abc", "n": "x"}, "Left", 2, `"x" is not an integer`},
		{`Left([a], [n])`, map[string]any{"a": "abc"}, "Left", 2, "null where a number is expected"},
		{`CDate([d])`, map[string]any{"d": "yesterday"}, "CDate", 1, `"yesterday" is not a recognised date`},
		{`CDate([d])`, map[string]any{"d": "2021-02-30"}, "CDate", 1, "out of range"},
		{`DateAdd("yyyy", 9000, CDate([d]))`, map[string]any{"d": "2021-02-03"}, "DateAdd", 0, "outside years 1 to 9999"},
		{`DateAdd([i], 1, CDate([d]))`, map[string]any{"d": "2021-02-03", "i": "z"}, "DateAdd", 1, `interval "z"`},
		{`CBool([b])`, map[string]any{"b": "perhaps"}, "CBool", 1, `"perhaps" is not a boolean`},
		{`IIF([b], "y", "n")`, map[string]any{"b": "perhaps"}, "IIF", 1, `"perhaps" is not a boolean`},
		{`FormatDateTime([d], , "yyyy-MM-dd", "dd")`, map[string]any{"d": "2021/01/01"}, "FormatDateTime", 1, "does not match the date format at position 4"},
		{`Replace([a], , [p], , "", , )`, map[string]any{"a": "x", "p": "("}, "Replace", 3, "invalid regexPattern"},
		{`Replace([a], , "(?<g>x)", [g], "", , )`, map[string]any{"a": "x", "g": "h"}, "Replace", 4, `no group named "h"`},
		{`[a] < "x"`, map[string]any{"a": []string{"1", "2"}}, "operator <", 0, "multi-valued"},
		{`DateFromNum([n])`, map[string]any{"n": -5}, "DateFromNum", 1, "not a valid AD date"},
		{`NumFromDate(CDate([d]))`, map[string]any{"d": "1500-01-01"}, "NumFromDate", 1, "before 1601"},
		{`InStr([a], "x", [s])`, map[string]any{"a": "abc", "s": 0}, "InStr", 3, "start must be 1 or more"},
		{`RandomString([n], 0, 0, 0, 1)`, map[string]any{"n": 0}, "RandomString", 0, "length must be 1 to 256"},
		{`ToLower(Append([a], "x"), [c])`, map[string]any{"a": "A", "c": "??"}, "ToLower", 2, "invalid culture"},
		{`Join(",", Append([a], [b]), [b])`, map[string]any{"a": "x", "b": []string{"1", "2"}}, "Append", 2, "multi-valued"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			p, err := expr.Compile(tt.src, expr.Options{})
			require.NoError(t, err)
			_, err = p.Eval(&expr.Env{Attrs: expr.MapAttributes(tt.attrs)})
			var ee *expr.EvalError
			require.True(t, errors.As(err, &ee), "got %T %v", err, err)
			require.Equal(t, tt.fn, ee.Func)
			require.Equal(t, tt.arg, ee.Arg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
