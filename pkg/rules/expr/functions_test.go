package expr_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

// evalCase exercises behaviour beyond the reference's examples: nulls,
// multi-values, bounds, case folding and the choices documented on each
// function.
type evalCase struct {
	src   string
	attrs map[string]any
	want  any // compared with Value.Any()
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	now := time.Date(2024, 2, 29, 13, 4, 5, 123_456_700, time.UTC)
	for _, tt := range cases {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			p, err := expr.Compile(tt.src, expr.Options{})
			require.NoError(t, err)
			v, err := p.Eval(&expr.Env{Attrs: expr.MapAttributes(tt.attrs), Now: func() time.Time { return now }})
			require.NoError(t, err)
			require.Equal(t, tt.want, v.Any(), "%#v", v)
		})
	}
}

func TestStringFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{`[displayName]`, map[string]any{"DisplayName": "Ada"}, "Ada"},
		{`[DISPLAYNAME]`, map[string]any{"displayName": "Ada"}, "Ada"},
		{`[extension_1a2b_cost Center]`, map[string]any{"extension_1a2b_Cost Center": "CC1"}, "CC1"},
		{`"plain"`, nil, "plain"},
		{`"back\\slash \d"`, nil, `back\slash \d`},
		{`append([a], "x")`, map[string]any{"a": "y"}, "yx"},
		{`Append([missing], "x")`, nil, "x"},
		{`Join(" ", [givenName], [surname])`, map[string]any{"givenName": "Ada", "surname": "Lovelace"}, "Ada Lovelace"},
		{`Join(" ", [givenName], [surname])`, map[string]any{"givenName": "Ada"}, "Ada"},
		{`Join(" ", [givenName])`, map[string]any{}, ""},
		{`Join("-", [n], True, 7)`, map[string]any{"n": []any{"a", nil, "", "b"}}, "a-b-True-7"},
		{`Left([a], 0)`, map[string]any{"a": "abc"}, ""},
		{`Left([a], -1)`, map[string]any{"a": "abc"}, "abc"},
		{`Left([a], 10)`, map[string]any{"a": "abc"}, "abc"},
		{`Left([a], 2)`, map[string]any{"a": "Zoë"}, "Zo"},
		{`Left([a], 3)`, nil, ""},
		{`Mid([a], 2, 2)`, map[string]any{"a": "Zoëy"}, "oë"},
		{`Mid([a], 3, 100)`, map[string]any{"a": "abcd"}, "cd"},
		{`Mid([a], 9, 1)`, map[string]any{"a": "abcd"}, ""},
		{`Mid([a], 0, 2)`, map[string]any{"a": "abcd"}, "ab"},
		{`StripSpaces([a])`, map[string]any{"a": []string{"a b", " c "}}, []string{"ab", "c"}},
		{`Word([a], 2, " ")`, map[string]any{"a": "one  two"}, "two"},
		{`Word([a], 0, " ")`, map[string]any{"a": "one two"}, ""},
		{`Word([a], 5, " ")`, map[string]any{"a": "one two"}, ""},
		{`Word([a], 1, " ")`, nil, ""},
		{`Split([a], ";")`, map[string]any{"a": "x;y;;z"}, []string{"x", "y", "", "z"}},
		{`Split([a], ";")`, nil, nil},
		{`Count(Split([a], ","))`, map[string]any{"a": "1,2,3"}, int64(3)},
		{`ConvertToBase64([a])`, map[string]any{"a": "é"}, "6QA="},
		{`ConvertToUTF8Hex("é")`, nil, "C3A9"},
		{`CStr(7)`, nil, "7"},
		{`CStr([b])`, map[string]any{"b": true}, "True"},
		{`CStr([n])`, nil, nil},
		{`CStr(CDate("2021-01-02"))`, nil, "1/2/2021 12:00:00 AM"},
		{`ToLower([a])`, map[string]any{"a": "ÀBC"}, "àbc"},
		{`ToLower([a], "")`, map[string]any{"a": "I"}, "i"},
		{`ToUpper([a], "tr")`, map[string]any{"a": "istanbul"}, "İSTANBUL"},
		{`ToUpper([a], [c])`, map[string]any{"a": "i", "c": "en-US"}, "I"},
		{`ToLower([a])`, map[string]any{"a": []string{"A", "B"}}, []string{"a", "b"}},
		{`ToLower([a])`, nil, nil},
		{`PCase([a])`, map[string]any{"a": "o'NEIL mcDONALD-smith jr."}, "O'neil Mcdonald-Smith Jr."},
		{`PCase([a])`, map[string]any{"a": "élodie 3rd"}, "Élodie 3Rd"},
		{`PCase([a], "")`, map[string]any{"a": "ANA MARIA"}, "Ana Maria"},
		{`PCase([a], "-")`, map[string]any{"a": "ANA MARIA-LUZ"}, "Ana maria-Luz"},
		{`InStr("abc", "")`, nil, int64(1)},
		{`InStr("", "a")`, nil, int64(0)},
		{`InStr("abc", "d")`, nil, int64(0)},
		{`InStr("repEated","e",3,vbTextCompare)`, nil, int64(4)},
		{`InStr("repEated","e",3,1)`, nil, int64(4)},
		{`InStr("Zoë Zoë","ë",4)`, nil, int64(7)},
		{`InStr("abc","c",9)`, nil, int64(0)},
		{`NormalizeDiacritics([a])`, map[string]any{"a": "Łódź Ærø Straße İstanbul ı"}, "Lodz AEroe Strasse Istanbul i"},
		{`NormalizeDiacritics([a])`, nil, nil},
	})
}

// TestNormalizeDiacriticsTable checks every row of the reference's table.
func TestNormalizeDiacriticsTable(t *testing.T) {
	t.Parallel()
	rows := map[string]string{
		"ä, à, â, ã, å, á, ą, ă, ā, ā́, ā̀, ā̂, ā̃, ǟ, ā̈, ǡ, a̱, å̄": "a",
		"Ä, À, Â, Ã, Å, Á, Ą, Ă, Ā, Ā́, Ā̀, Ā̂, Ā̃, Ǟ, Ā̈, Ǡ, A̱, Å̄": "A",
		"æ, ǣ": "ae", "Æ, Ǣ": "AE",
		"ç, č, ć, c̄, c̱": "c", "Ç, Č, Ć, C̄, C̱": "C",
		"ď, d̄, ḏ": "d", "Ď, D̄, Ḏ": "D",
		"ë, è, é, ê, ę, ě, ė, ē, ḗ, ḕ, ē̂, ē̃, ê̄, e̱, ë̄, e̊̄": "e",
		"Ë, È, É, Ê, Ę, Ě, Ė, Ē, Ḗ, Ḕ, Ē̂, Ē̃, Ê̄, E̱, Ë̄, E̊̄": "E",
		"ğ, ḡ, g̱": "g", "Ğ, Ḡ, G̱": "G",
		"ï, î, ì, í, ı, ī, ī́, ī̀, ī̂, ī̃, i̱": "i", "Ï, Î, Ì, Í, İ, Ī, Ī́, Ī̀, Ī̂, Ī̃, I̱": "I",
		"ľ, ł, l̄, ḹ, ḻ": "l", "Ł, Ľ, L̄, Ḹ, Ḻ": "L",
		"ñ, ń, ň, n̄, ṉ": "n", "Ñ, Ń, Ň, N̄, Ṉ": "N",
		"ö, ò, ő, õ, ô, ó, ō, ṓ, ṑ, ō̂, ō̃, ȫ, ō̈, ǭ, ȭ, ȱ, o̱": "o",
		"Ö, Ò, Ő, Õ, Ô, Ó, Ō, Ṓ, Ṑ, Ō̂, Ō̃, Ȫ, Ō̈, Ǭ, Ȭ, Ȱ, O̱": "O",
		"ø, ø̄, œ̄": "oe", "Ø, Ø̄, Œ̄": "OE",
		"ř, r̄, ṟ, ṝ": "r", "Ř, R̄, Ṟ, Ṝ": "R",
		"ß":                  "ss",
		"š, ś, ș, ş, s̄, s̱": "s", "Š, Ś, Ș, Ş, S̄, S̱": "S",
		"ť, ț, t̄, ṯ": "t", "Ť, Ț, T̄, Ṯ": "T",
		"ü, ù, û, ú, ů, ű, ū, ū́, ū̀, ū̂, ū̃, u̇̄, ǖ, ṻ, ṳ̄, u̱": "u",
		"Ü, Ù, Û, Ú, Ů, Ű, Ū, Ū́, Ū̀, Ū̂, Ū̃, U̇̄, Ǖ, Ṻ, Ṳ̄, U̱": "U",
		"ÿ, ý, ȳ, ȳ́, ȳ̀, ȳ̃, y̱":                                "y", "Ÿ, Ý, Ȳ, Ȳ́, Ȳ̀, Ȳ̃, Y̱": "Y",
		"ź, ž, ż, z̄, ẕ": "z", "Ź, Ž, Ż, Z̄, Ẕ": "Z",
	}
	p := expr.MustCompile(`NormalizeDiacritics([s])`)
	for in, want := range rows {
		for _, ch := range strings.Split(in, ", ") {
			v, err := p.Eval(&expr.Env{Attrs: expr.MapAttributes(map[string]any{"s": ch})})
			require.NoError(t, err)
			require.Equal(t, want, v.String(), "input %q %U", ch, []rune(ch))
		}
	}
}

func TestLogicFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{`IIF([accountEnabled]="True","Member","Guest")`, map[string]any{"accountEnabled": true}, "Member"},
		{`IIF([accountEnabled]="true","Member","Guest")`, map[string]any{"accountEnabled": true}, "Member"},
		{`IIF([accountEnabled]="True","Member","Guest")`, map[string]any{"accountEnabled": "False"}, "Guest"},
		{`IIF([accountEnabled],"on","off")`, map[string]any{"accountEnabled": "TRUE"}, "on"},
		{`IIF([n] > 5, "big", "small")`, map[string]any{"n": "12"}, "big"},
		{`IIF([n] >= 12, "big", "small")`, map[string]any{"n": 12}, "big"},
		{`IIF([s] < "b", "lt", "ge")`, map[string]any{"s": "a"}, "lt"},
		{`IIF([s] <> "x", "ne", "eq")`, map[string]any{}, "ne"},
		{`IIF([s] <= [t], "le", "gt")`, map[string]any{"s": "B", "t": "a"}, "le"},
		{`IIF(CDate([d]) > CDate("2020-01-01"), "after", "before")`, map[string]any{"d": "2021-01-01"}, "after"},
		{`IIF(CDate([d]) = "2021-01-01T00:00:00Z", "same", "other")`, map[string]any{"d": "1/1/2021"}, "same"},
		{`IIF([m] = "b", "has", "not")`, map[string]any{"m": []string{"a", "b"}}, "has"},
		{`IIF([m] <> "c", "none", "some")`, map[string]any{"m": []string{"a", "b"}}, "none"},
		{`IIF("x" = "X", 1, 2)`, nil, int64(2)},
		{`IIF(True, [a], IgnoreFlowIfNullOrEmpty([missing]))`, map[string]any{"a": "lazy"}, "lazy"},
		{`[a] = [b]`, map[string]any{}, true},
		{`Switch([a], "def", "x", "1")`, map[string]any{"a": "X"}, "def"},
		{`Switch([a], , "x", "1")`, map[string]any{"a": "y"}, nil},
		{`Switch([a], "d", [b], "matched")`, map[string]any{"a": "k", "b": "k"}, "matched"},
		{`Switch([a], "d", "True", "yes")`, map[string]any{"a": true}, "yes"},
		{`Not(True)`, nil, false},
		{`Not([x])`, map[string]any{"x": "banana"}, true},
		{`Not(IsPresent([x]))`, nil, true},
		{`CBool(0)`, nil, false},
		{`CBool("-1")`, nil, true},
		{`CBool([x])`, nil, false},
		{`Coalesce([a], [b], "default")`, map[string]any{}, "default"},
		{`Coalesce([a], [b])`, map[string]any{"a": "", "b": "x"}, ""},
		{`Coalesce([a], [b], )`, map[string]any{"a": []string{}}, nil},
		{`IsNull([a])`, map[string]any{"a": nil}, true},
		{`IsNull([a])`, map[string]any{"a": ""}, false},
		{`IsPresent([a])`, map[string]any{"a": []string{"x"}}, true},
		{`IsString([a])`, map[string]any{"a": 5}, false},
		{`BitAnd([uac], 2)`, map[string]any{"uac": "514"}, int64(2)},
		{`BitAnd(&HFFFFFFFFFFFFFFFF, 5)`, nil, int64(5)},
	})
}

func TestMultiValueFunctions(t *testing.T) {
	t.Parallel()
	pa := map[string]any{"proxyAddresses": []any{"SMTP:a@x", "smtp:b@x", "SMTP:a@x"}}
	runEvalCases(t, []evalCase{
		{`Count([proxyAddresses])`, pa, int64(3)},
		{`Count([mail])`, map[string]any{"mail": "a@x"}, int64(1)},
		{`Count([mail])`, nil, int64(0)},
		{`Item([proxyAddresses], 2)`, pa, "smtp:b@x"},
		{`Item([proxyAddresses], 9)`, pa, nil},
		{`Item([mail], 1)`, map[string]any{"mail": "a@x"}, "a@x"},
		{`Item([mail], [i])`, map[string]any{"mail": "a@x", "i": 0}, nil},
		{`RemoveDuplicates([proxyAddresses])`, pa, []string{"SMTP:a@x", "smtp:b@x"}},
		{`RemoveDuplicates([mail])`, map[string]any{"mail": "a@x"}, "a@x"},
		{`Join(",", RemoveDuplicates(Split([a], ",")))`, map[string]any{"a": strings.Repeat("x,y,", 20)}, "x,y"},
		{`Replace([proxyAddresses], "@x", , , "@y", , )`, pa, []string{"SMTP:a@y", "smtp:b@y", "SMTP:a@y"}},
		{`SingleAppRoleAssignment([r])`, map[string]any{"r": []string{"A", "B"}}, "A"},
		{`SingleAppRoleAssignment([r])`, map[string]any{"r": []string{}}, nil},
	})
}

func TestReplaceFunction(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{`Replace([a], "x", , , "y", , )`, nil, nil},
		{`Replace([a], "", , , "y", , )`, map[string]any{"a": "abc"}, "abc"},
		{`Replace([a], "b", , , "", , )`, map[string]any{"a": "abcb"}, "ac"},
		{`Replace([a], "B", , , "", , )`, map[string]any{"a": "abcb"}, "abcb"},
		{`Replace([a], "{x}", , , , , "pre-{x}-{x}")`, map[string]any{"a": "v"}, "pre-v-v"},
		{`Replace([a], , "(\\w+)@(\\w+)", , "$2\\$1 $$ $& ${9} $x", , )`, map[string]any{"a": "me@host"}, `host\me $ me@host ${9} $x`},
		{`Replace([a], , "b", , "[$` + "`" + `|$'|$_]", , )`, map[string]any{"a": "abc"}, "a[a|c|abc]c"},
		{`Replace([a], , "(a)|(z)", , "<$+>", , )`, map[string]any{"a": "a"}, "<>"},
		{`Replace([a], , "(?P<d>\\d)", "d", "#", , )`, map[string]any{"a": "a1b22"}, "a#b##"},
		{`Replace([a], , [p], , "-", , )`, map[string]any{"a": "a.b", "p": "\\."}, "a-b"},
		{`Replace([a], , "(?<n>\\d+)", "n", , "mobile", )`, map[string]any{"mobile": "tel 42"}, "42"},
		{`Replace([a], , "(?<n>\\d+)", "n", , [m], )`, map[string]any{"m": "none"}, nil},
		{`Replace("", , "(?<n>\\d+)", "n", , "mobile", )`, map[string]any{"mobile": "+1 42"}, "1"},
		{`Replace([a], , "(?<n>\\d+)", "n", , [m], )`, map[string]any{"a": "", "m": "none"}, ""},
	})
}

func TestDateFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{`Now()`, nil, "2/29/2024 1:04:05 PM"},
		{`CDate([d])`, nil, nil},
		{`CDate([d])`, map[string]any{"d": " 2024-02-29T23:59:59.9999999Z "}, "2/29/2024 11:59:59 PM"},
		{`CDate([d])`, map[string]any{"d": "2024-02-29 10:00+0130"}, "2/29/2024 8:30:00 AM"},
		{`CDate([d])`, map[string]any{"d": "12/31/2020 12:00:00 AM"}, "12/31/2020 12:00:00 AM"},
		{`CDate([d])`, map[string]any{"d": "12/31/2020 12:30 PM"}, "12/31/2020 12:30:00 PM"},
		{`CDate([d])`, map[string]any{"d": "12/31/2020 23:30"}, "12/31/2020 11:30:00 PM"},
		{`CDate(CDate([d]))`, map[string]any{"d": "2020-12-31"}, "12/31/2020 12:00:00 AM"},
		{`DateAdd("m", 1, CDate("2021-01-31"))`, nil, "2/28/2021 12:00:00 AM"},
		{`DateAdd("yyyy", 1, CDate("2024-02-29"))`, nil, "2/28/2025 12:00:00 AM"},
		{`DateAdd("q", -1, CDate("2024-05-31"))`, nil, "2/29/2024 12:00:00 AM"},
		{`DateAdd("h", 25, "2024-01-01")`, nil, "1/2/2024 1:00:00 AM"},
		{`DateAdd("n", -1, "2024-01-01")`, nil, "12/31/2023 11:59:00 PM"},
		{`DateAdd("s", 61, "2024-01-01")`, nil, "1/1/2024 12:01:01 AM"},
		{`DateAdd("D", 1, [d])`, nil, nil},
		{`DateDiff("d", "2024-01-01T23:00:00Z", "2024-01-02T01:00:00Z")`, nil, int64(0)},
		{`DateDiff("w", "2024-01-01", "2024-01-14")`, nil, int64(1)},
		{`DateDiff("ww", "2024-01-06", "2024-01-07")`, nil, int64(1)},
		{`DateDiff("q", "2023-12-31", "2024-01-01")`, nil, int64(1)},
		{`DateDiff("yyyy", "2023-12-31", "2024-01-01")`, nil, int64(1)},
		{`DateDiff("s", "2024-01-01T00:00:01Z", "2024-01-01")`, nil, int64(-1)},
		{`DateDiff("d", Now(), [d])`, nil, nil},
		{`DateFromNum(0)`, nil, nil},
		{`DateFromNum(9223372036854775807)`, nil, nil},
		{`DateFromNum("129699324000000000")`, nil, "1/1/2012 11:00:00 PM"},
		{`NumFromDate(DateFromNum(129699324000000000))`, nil, int64(129699324000000000)},
		{`NumFromDate([d])`, nil, nil},
		{`FormatDateTime([d], , "M/d/yyyy h:mm:ss tt", "o")`, map[string]any{"d": "2/3/2021 4:05:06 PM"}, "2021-02-03T16:05:06.0000000"},
		{`FormatDateTime([d], , "yyyy-MM-ddTHH:mm:ssK", "O")`, map[string]any{"d": "2021-02-03T16:05:06+01:00"}, "2021-02-03T15:05:06.0000000Z"},
		{`FormatDateTime([d], , "yyyyMMdd", "dddd, MMMM d, yyyy")`, map[string]any{"d": "20210203"}, "Wednesday, February 3, 2021"},
		{`FormatDateTime([d], , "dd-MMM-yy", "yyyy-MM-dd")`, map[string]any{"d": "03-feb-21"}, "2021-02-03"},
		{`FormatDateTime([d], , "d/M/yyyy", "ddd dd MMM yyyy")`, map[string]any{"d": "3/2/1999"}, "Wed 03 Feb 1999"},
		{`FormatDateTime([d], , "HH:mm", "yyyy-MM-dd HH:mm")`, map[string]any{"d": "07:45"}, "2024-02-29 07:45"},
		{`FormatDateTime([d], , "s", "h:mm:ss.fff tt zzz")`, map[string]any{"d": "2021-02-03T00:05:06"}, "12:05:06.000 AM +00:00"},
		{`FormatDateTime([d], , "yyyy-MM-dd HH:mm:ss.FFF", "'Date:' yyyy\\/MM\\/dd FFF")`, map[string]any{"d": "2021-02-03 00:05:06.5"}, "Date: 2021/02/03 5"},
		{`FormatDateTime([d], "None", "yyyy", "yyyy")`, map[string]any{"d": "2021"}, "2021"},
		{`FormatDateTime([d], "AllowWhiteSpaces, AdjustToUniversal", "yyyy", "yyyy")`, map[string]any{"d": " 2021 "}, "2021"},
		{`FormatDateTime(Now(), , "ignored", "yyyy-MM-ddTHH:mm:ss.fffffffK")`, nil, "2024-02-29T13:04:05.1234567Z"},
		{`FormatDateTime([d], , "yyyy", "yyyy")`, nil, nil},
	})
}

func TestGuidAndRandomString(t *testing.T) {
	t.Parallel()
	seed := func() *expr.Env { return &expr.Env{Rand: rand.NewChaCha8([32]byte{9})} }
	g := expr.MustCompile(`Guid()`)
	a, err := g.Eval(seed())
	require.NoError(t, err)
	b, err := g.Eval(seed())
	require.NoError(t, err)
	require.Equal(t, a, b, "same seed, same GUID")
	c, err := g.Eval(nil)
	require.NoError(t, err)
	require.NotEqual(t, a, c)

	for _, tc := range []struct {
		src                              string
		length, digits, special, up, low int
		avoid                            string
	}{
		{`RandomString(6,3,0,0,3)`, 6, 3, 0, 0, 3, ""},
		{`RandomString(10,2,2,2,1,"?,")`, 10, 2, 2, 2, 1, "?,"},
		{`RandomString(256,0,0,0,0)`, 256, 0, 0, 0, 0, ""},
		{`RandomString(16,0,16,0,0,"!@#$")`, 16, 0, 16, 0, 0, "!@#$"},
	} {
		p := expr.MustCompile(tc.src)
		for range 50 {
			v, err := p.Eval(nil)
			require.NoError(t, err)
			s := v.String()
			require.Len(t, s, tc.length)
			var d, sp, u, l int
			for _, r := range s {
				switch {
				case unicode.IsDigit(r):
					d++
				case unicode.IsUpper(r):
					u++
				case unicode.IsLower(r):
					l++
				default:
					sp++
				}
			}
			require.GreaterOrEqual(t, d, tc.digits, s)
			require.GreaterOrEqual(t, sp, tc.special, s)
			require.GreaterOrEqual(t, u, tc.up, s)
			require.GreaterOrEqual(t, l, tc.low, s)
			require.False(t, strings.ContainsAny(s, tc.avoid+"\x00"), s)
			if tc.special == 0 && tc.length == tc.digits+tc.low {
				require.Zero(t, sp+u, "fill only from classes with a minimum: %s", s)
			}
		}
	}
}

func TestSelectUniqueValue(t *testing.T) {
	t.Parallel()
	p := expr.MustCompile(`SelectUniqueValue([a], Join(".", [a], "2"), "fixed")`)
	v, err := p.Eval(&expr.Env{Attrs: expr.MapAttributes(map[string]any{})})
	require.NoError(t, err)
	require.Equal(t, "2", v.String(), "empty candidates are skipped (Join drops the empty [a]); no IsUnique means first")

	boom := errors.New("graph down")
	_, err = p.Eval(&expr.Env{IsUnique: func(context.Context, string) (bool, error) { return false, boom }})
	require.ErrorIs(t, err, boom)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Eval(&expr.Env{Ctx: ctx, IsUnique: func(ctx context.Context, _ string) (bool, error) { return false, ctx.Err() }})
	require.ErrorIs(t, err, context.Canceled)
}

func TestProgramIntrospection(t *testing.T) {
	t.Parallel()
	p := expr.MustCompile(`Join(" ", [givenName], [Surname], [GIVENNAME], Replace([a], , "(?<n>x)", "n", , "mobile", ))`)
	require.Equal(t, []string{"givenName", "Surname", "a", "mobile"}, p.Attributes())
	require.False(t, p.Redacted())
	require.Contains(t, expr.Functions(), "SelectUniqueValue")
	require.Len(t, expr.Functions(), 43) // the reference's list
	require.Panics(t, func() { expr.MustCompile(`Nope()`) })
}

func TestConstantFolding(t *testing.T) {
	t.Parallel()
	// Folded calls need no attributes at all; impure ones are not folded.
	v, err := expr.MustCompile(`ToUpper(ConvertToUTF8Hex(Join("", "a", 1)))`).Eval(nil)
	require.NoError(t, err)
	require.Equal(t, "6131", v.String())
	env := &expr.Env{Rand: rand.NewChaCha8([32]byte{})}
	g := expr.MustCompile(`Join("", Guid())`)
	x, _ := g.Eval(env)
	y, _ := g.Eval(env)
	require.NotEqual(t, x, y)
}

func TestValue(t *testing.T) {
	t.Parallel()
	ts := time.Date(2021, 7, 2, 15, 33, 38, 0, time.FixedZone("x", 3600))
	for _, tt := range []struct {
		in   any
		kind expr.Kind
		str  string
	}{
		{nil, expr.KindNull, ""},
		{"s", expr.KindString, "s"},
		{true, expr.KindBool, "True"},
		{int32(-3), expr.KindInt, "-3"},
		{float64(4), expr.KindInt, "4"},
		{4.5, expr.KindString, "4.5"},
		{ts, expr.KindDateTime, "7/2/2021 2:33:38 PM"},
		{[]string{"a", "b"}, expr.KindMulti, "a,b"},
		{[]any{"a", 1, nil}, expr.KindMulti, "a,1"},
		{struct{ A int }{1}, expr.KindString, "{1}"},
	} {
		v := expr.ValueOf(tt.in)
		require.Equal(t, tt.kind, v.Kind(), "%v", tt.in)
		require.Equal(t, tt.str, v.String())
		require.True(t, v.Equal(expr.ValueOf(v)))
	}
	tm, ok := expr.ValueOf(ts).Time()
	require.True(t, ok)
	require.True(t, tm.Equal(ts))
	require.Equal(t, "datetime", expr.KindDateTime.String())
	require.Nil(t, expr.Value{}.Strings())
	require.Equal(t, []string{"True"}, expr.BoolValue(true).Strings())
	require.Equal(t, []string{}, expr.MultiValue(nil).Any())
}
