package seed

import (
	"strings"
	"unicode/utf8"
)

// foldTable maps the Latin letters with diacritics that appear in names to
// their ASCII spelling, the way admins and HR feeds derive mail aliases
// (José → jose, Søren → soren, Weiß → weiss, Nguyễn → nguyen). Only the
// generator's own tables pass through it; a test checks every rune used there
// is covered.
var foldTable = func() map[rune]string {
	m := map[rune]string{}
	add := func(ascii, runes string) {
		for _, r := range runes {
			m[r] = ascii
		}
	}
	add("a", "àáâãäåāăąạảấầẩẫậắằẳẵặ")
	add("ae", "æ")
	add("c", "çćčĉċ")
	add("d", "ďđð")
	add("e", "èéêëēĕėęěẹẻẽếềểễệ")
	add("g", "ğĝġģ")
	add("i", "ìíîïĩīĭįıỉị")
	add("l", "łľĺļ")
	add("n", "ñńňņ")
	add("o", "òóôõöøōŏőơọỏốồổỗộớờởỡợ")
	add("oe", "œ")
	add("r", "řŕ")
	add("s", "śšşșŝ")
	add("ss", "ß")
	add("t", "ťţț")
	add("th", "þ")
	add("u", "ùúûüũūŭůűųưụủứừửữự")
	add("y", "ýÿỳỵỷỹ")
	add("z", "źżž")
	// Upper-case forms fold to the same ASCII; keys are looked up lower-cased.
	lower := make([]rune, 0, len(m))
	for r := range m {
		lower = append(lower, r)
	}
	for _, r := range lower {
		if u := []rune(strings.ToUpper(string(r))); len(u) == 1 && u[0] != r {
			m[u[0]] = m[r]
		}
	}
	m['İ'] = "i"
	return m
}()

// asciiAlias lower-cases s, folds diacritics and drops what a mail local part
// should not carry (spaces, apostrophes), keeping hyphens. Unknown non-ASCII
// runes are dropped.
func asciiAlias(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= utf8.RuneSelf:
			if f, ok := foldTable[r]; ok {
				b.WriteString(f)
			}
		}
	}
	return b.String()
}

// aliasWord returns the alias of each table entry once, so the per-user path
// never folds strings.
func aliasWords(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = asciiAlias(w)
	}
	return out
}
