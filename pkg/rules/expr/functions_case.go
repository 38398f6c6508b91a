package expr

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func init() {
	register(
		&funcSpec{name: "ToLower", min: 1, max: 2, optMask: opt(1), build: caseBuilder("ToLower", strings.ToLower, cases.Lower)},
		&funcSpec{name: "ToUpper", min: 1, max: 2, optMask: opt(1), build: caseBuilder("ToUpper", strings.ToUpper, cases.Upper)},
		&funcSpec{name: "PCase", min: 1, max: 2, optMask: opt(1), build: buildPCase},
		&funcSpec{name: "InStr", min: 2, max: 4, optMask: opt(2, 3), build: buildInStr},
	)
}

// caseBuilder builds ToLower/ToUpper(source, culture). Without a culture (or
// with "" / "iv" / "invariant") the invariant mapping of strings.ToLower is
// used; with one, golang.org/x/text/cases applies the language's rules (e.g.
// Turkish dotted/dotless i). A literal culture is validated at Compile.
func caseBuilder(name string, invariant func(string) string, mk func(language.Tag, ...cases.Option) cases.Caser) func(*builder) (evalFn, error) {
	return func(b *builder) (evalFn, error) {
		if !b.has(1) {
			return mapStrings(b, name, func(s string) (string, error) { return invariant(s), nil }), nil
		}
		if c, ok := b.args[1].str(); ok {
			tag, inv, err := parseCulture(c)
			if err != nil {
				return nil, b.errf(2, "%v", err)
			}
			if inv {
				return mapStrings(b, name, func(s string) (string, error) { return invariant(s), nil }), nil
			}
			// A Caser is stateful, so each call gets its own; cultures are rare.
			return mapStrings(b, name, func(s string) (string, error) { return mk(tag).String(s), nil }), nil
		}
		culture := b.fn(1)
		src := b.fn(0)
		return func(env *Env) (Value, error) {
			c, _, err := argStr(env, culture, name, 2)
			if err != nil {
				return Value{}, err
			}
			tag, inv, err := parseCulture(c)
			if err != nil {
				return Value{}, evalErr(name, 2, err)
			}
			f := invariant
			if !inv {
				f = mk(tag).String
			}
			v, err := src(env)
			if err != nil || v.kind == KindNull {
				return v, err
			}
			if v.kind == KindMulti {
				out := make([]string, len(v.m))
				for i, e := range v.m {
					out[i] = f(e)
				}
				return MultiValue(out), nil
			}
			return StringValue(f(v.String())), nil
		}, nil
	}
}

func parseCulture(c string) (tag language.Tag, invariant bool, err error) {
	c = strings.TrimSpace(c)
	if c == "" || strings.EqualFold(c, "iv") || strings.EqualFold(c, "invariant") {
		return language.Und, true, nil
	}
	tag, err = language.Parse(c)
	if err != nil {
		return language.Und, false, fmt.Errorf("invalid culture %q (want an RFC 4646 name such as en-US)", clip(c))
	}
	return tag, false, nil
}

// PCase(source, wordSeparators) lower-cases the string and upper-cases the
// first letter of each word. Without separators it follows .NET
// TextInfo.ToTitleCase: words are split at the Unicode separator categories
// the reference lists, an apostrophe inside a word does not start a new one,
// and digits belong to the word. Unlike bare ToTitleCase, all-caps words are
// not kept as acronyms: the reference's "PABLO GONSALVES (SECOND)" becomes
// "Pablo Gonsalves (Second)".
func buildPCase(b *builder) (evalFn, error) {
	if !b.has(1) {
		return mapStrings(b, "PCase", func(s string) (string, error) { return titleCase(s), nil }), nil
	}
	src, seps := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		s, v, err := argStr(env, src, "PCase", 1)
		if err != nil || v.kind == KindNull {
			return v, err
		}
		d, _, err := argStr(env, seps, "PCase", 2)
		if err != nil {
			return Value{}, err
		}
		if d == "" {
			return StringValue(titleCase(s)), nil
		}
		return StringValue(titleCaseSeps(s, d)), nil
	}, nil
}

var titleSeparators = []*unicode.RangeTable{
	unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf,
	unicode.Pc, unicode.Pd, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf, unicode.Po,
	unicode.Sm, unicode.Sc, unicode.Sk, unicode.So,
}

// isTitleSeparator reports whether r ends a word for ToTitleCase. In ASCII
// every character that is not a letter or digit is in one of the separator
// categories, which avoids 16 table lookups per character.
func isTitleSeparator(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	return unicode.IsOneOf(titleSeparators, r)
}

func titleCase(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	inWord := false
	for _, r := range s {
		switch {
		case inWord && r == '\'':
			sb.WriteRune(r)
		case inWord && isTitleSeparator(r):
			inWord = false
			sb.WriteRune(r)
		case inWord:
			sb.WriteRune(unicode.ToLower(r))
		case unicode.IsLetter(r):
			inWord = true
			sb.WriteRune(unicode.ToTitle(r))
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

func titleCaseSeps(s, seps string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case strings.ContainsRune(seps, r):
			start = true
			sb.WriteRune(r)
		case start:
			start = false
			sb.WriteRune(unicode.ToTitle(r))
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

// InStr(value1, value2, start, compareType) returns the 1-based character
// position of value2 in value1 at or after start, or 0. compareType is
// vbBinaryCompare (0, default, case-sensitive) or vbTextCompare (1,
// case-insensitive). As in VBA an empty value2 returns start, and start must
// be at least 1.
func buildInStr(b *builder) (evalFn, error) {
	if n, ok, err := b.litInt(2); err != nil {
		return nil, err
	} else if ok && n < 1 {
		return nil, b.errf(3, "start must be 1 or more, got %d", n)
	}
	if b.has(3) {
		ct := b.args[3]
		if name, ok := ct.n.(*strNode); ok {
			v, known := namedConstants[strings.ToLower(name.val)]
			if !known || v.kind != KindInt {
				return nil, b.errf(4, "compareType must be vbBinaryCompare or vbTextCompare")
			}
			b.args[3].fn = constFn(v).fn
		} else if n, ok, err := b.litInt(3); err != nil || (ok && n != 0 && n != 1) {
			return nil, b.errf(4, "compareType must be vbBinaryCompare or vbTextCompare")
		}
	}
	hay, needle, start, cmp := b.fn(0), b.fn(1), b.fn(2), b.fn(3)
	hasStart, hasCmp := b.has(2), b.has(3)
	return func(env *Env) (Value, error) {
		h, _, err := argStr(env, hay, "InStr", 1)
		if err != nil {
			return Value{}, err
		}
		nd, _, err := argStr(env, needle, "InStr", 2)
		if err != nil {
			return Value{}, err
		}
		st := int64(1)
		if hasStart {
			if st, err = argInt(env, start, "InStr", 3); err != nil {
				return Value{}, err
			}
			if st < 1 {
				return Value{}, &EvalError{Func: "InStr", Arg: 3, Msg: fmt.Sprintf("start must be 1 or more, got %d", st)}
			}
		}
		fold := false
		if hasCmp {
			c, err := argInt(env, cmp, "InStr", 4)
			if err != nil {
				return Value{}, err
			}
			fold = c == 1
		}
		return IntValue(instr(h, nd, st, fold)), nil
	}, nil
}

func instr(h, nd string, start int64, fold bool) int64 {
	switch {
	case h == "":
		return 0
	case nd == "":
		return start
	case int64(utf8.RuneCountInString(h)) < start:
		return 0
	}
	rest := h[len(runePrefix(h, start-1)):]
	pos := start
	for i := 0; i < len(rest); pos++ {
		if hasPrefixFold(rest[i:], nd, fold) {
			return pos
		}
		_, size := utf8.DecodeRuneInString(rest[i:])
		i += size
	}
	return 0
}

func hasPrefixFold(s, prefix string, fold bool) bool {
	if !fold {
		return strings.HasPrefix(s, prefix)
	}
	for _, pr := range prefix {
		if s == "" {
			return false
		}
		r, size := utf8.DecodeRuneInString(s)
		if r != pr && unicode.SimpleFold(r) != pr && !equalFoldRune(r, pr) {
			return false
		}
		s = s[size:]
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
