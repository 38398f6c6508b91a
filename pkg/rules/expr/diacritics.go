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
	// Decompose rune by rune: norm.Iter costs several allocations per call,
	// and names are mostly ASCII with a few accented letters.
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		writeBase(&sb, r, norm.NFD.PropertiesString(s[i:]).Decomposition())
		i += size
	}
	return sb.String()
}

// writeBase writes r without its combining marks; decomp is r's canonical
// decomposition, nil when it has none.
func writeBase(sb *strings.Builder, r rune, decomp []byte) {
	if decomp == nil {
		switch {
		case unicode.Is(unicode.Mn, r):
		case foldLetters[r] != "":
			sb.WriteString(foldLetters[r])
		default:
			sb.WriteRune(r)
		}
		return
	}
	for len(decomp) > 0 {
		d, size := utf8.DecodeRune(decomp)
		decomp = decomp[size:]
		switch {
		case unicode.Is(unicode.Mn, d):
		case foldLetters[d] != "":
			sb.WriteString(foldLetters[d])
		default:
			sb.WriteRune(d)
		}
	}
}
