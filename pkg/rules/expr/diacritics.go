package expr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func init() {
	register(&funcSpec{name: "NormalizeDiacritics", min: 1, max: 1, build: buildNormalizeDiacritics})
}

// NormalizeDiacritics(source) replaces letters with diacritics by their base
// letters, following the reference's table: canonical decomposition (NFD)
// with combining marks dropped covers most rows; letters that do not
// decompose (ł, ø, æ, ß, ı, ...) are mapped explicitly. ASCII input is
// returned as is, without allocating.
func buildNormalizeDiacritics(b *builder) (evalFn, error) {
	return mapStrings(b, "NormalizeDiacritics", func(s string) (string, error) {
		return normalizeDiacritics(s), nil
	}), nil
}

// foldLetters are the table's rows that NFD does not reduce.
var foldLetters = map[rune]string{
	'æ': "ae", 'Æ': "AE", 'ǣ': "ae", 'Ǣ': "AE",
	'ø': "oe", 'Ø': "OE", 'œ': "oe", 'Œ': "OE",
	'ß': "ss",
	'ł': "l", 'Ł': "L",
	'ı': "i",
	'đ': "d", 'Đ': "D",
}

func normalizeDiacritics(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	var it norm.Iter
	it.InitString(norm.NFD, s)
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, size := utf8.DecodeRune(seg)
			seg = seg[size:]
			switch {
			case unicode.Is(unicode.Mn, r):
				// drop combining marks: the diacritics themselves
			case foldLetters[r] != "":
				sb.WriteString(foldLetters[r])
			default:
				sb.WriteRune(r)
			}
		}
	}
	return sb.String()
}
