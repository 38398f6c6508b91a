package expr

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

func init() {
	register(
		&funcSpec{name: "Append", min: 2, max: 2, build: buildAppend},
		&funcSpec{name: "Join", min: 2, max: -1, optRest: true, build: buildJoin},
		&funcSpec{name: "Left", min: 2, max: 2, build: buildLeft},
		&funcSpec{name: "Mid", min: 3, max: 3, build: buildMid},
		&funcSpec{name: "StripSpaces", min: 1, max: 1, build: buildStripSpaces},
		&funcSpec{name: "Word", min: 3, max: 3, build: buildWord},
		&funcSpec{name: "Split", min: 2, max: 2, build: buildSplit},
		&funcSpec{name: "ConvertToBase64", min: 1, max: 1, build: buildBase64},
		&funcSpec{name: "ConvertToUTF8Hex", min: 1, max: 1, build: buildUTF8Hex},
		&funcSpec{name: "CStr", min: 1, max: 1, build: buildCStr},
	)
}

// Append(source, suffix): null source is treated as "" (.NET string
// concatenation), so the result is never null.
func buildAppend(b *builder) (evalFn, error) {
	src, suf := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		s, _, err := argStr(env, src, "Append", 1)
		if err != nil {
			return Value{}, err
		}
		t, _, err := argStr(env, suf, "Append", 2)
		if err != nil {
			return Value{}, err
		}
		if err := checkLen("Append", len(s)+len(t)); err != nil {
			return Value{}, err
		}
		return StringValue(s + t), nil
	}, nil
}

// Join(separator, source1, ...): every element of multi-valued sources is
// joined, and null or empty values are skipped — the reference's example
// Join(", ", "", [surname], [givenName]) yields "Doe, John".
func buildJoin(b *builder) (evalFn, error) {
	sep, srcs := b.fn(0), b.fns(1)
	return func(env *Env) (Value, error) {
		sv, _, err := argStr(env, sep, "Join", 1)
		if err != nil {
			return Value{}, err
		}
		// Two passes would re-evaluate arguments; instead collect the values
		// in a small stack array and size the builder once.
		var stack [8]Value
		vals := stack[:0]
		size := 0
		for _, f := range srcs {
			v, err := f(env)
			if err != nil {
				return Value{}, err
			}
			switch v.kind {
			case KindNull:
				continue
			case KindMulti:
				for _, e := range v.m {
					size += len(e) + len(sv)
				}
			default:
				size += len(v.String()) + len(sv)
			}
			vals = append(vals, v)
		}
		if err := checkLen("Join", size); err != nil {
			return Value{}, err
		}
		if len(vals) == 1 && vals[0].kind == KindString {
			return vals[0], nil
		}
		var sb strings.Builder
		sb.Grow(size)
		first := true
		add := func(s string) {
			if s == "" {
				return
			}
			if !first {
				sb.WriteString(sv)
			}
			first = false
			sb.WriteString(s)
		}
		for _, v := range vals {
			if v.kind == KindMulti {
				for _, e := range v.m {
					add(e)
				}
			} else {
				add(v.String())
			}
		}
		return StringValue(sb.String()), nil
	}, nil
}

// Left(string, numChars) counts characters (runes): 0 gives "", a negative
// count the whole string, null "".
func buildLeft(b *builder) (evalFn, error) {
	if _, _, err := b.litInt(1); err != nil {
		return nil, err
	}
	src, cnt := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		s, _, err := argStr(env, src, "Left", 1)
		if err != nil {
			return Value{}, err
		}
		n, err := argInt(env, cnt, "Left", 2)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return StringValue(s), nil
		}
		return StringValue(runePrefix(s, n)), nil
	}, nil
}

// runePrefix returns the first n runes of s without allocating.
func runePrefix(s string, n int64) string {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// Mid(source, start, length): start is 1-based; a start below 1 counts from
// 1, past the end gives "", a negative length gives "".
func buildMid(b *builder) (evalFn, error) {
	if _, _, err := b.litInt(1); err != nil {
		return nil, err
	}
	if n, ok, err := b.litInt(2); err != nil {
		return nil, err
	} else if ok && n < 0 {
		return nil, b.errf(3, "length must not be negative, got %d", n)
	}
	src, start, length := b.fn(0), b.fn(1), b.fn(2)
	return func(env *Env) (Value, error) {
		s, _, err := argStr(env, src, "Mid", 1)
		if err != nil {
			return Value{}, err
		}
		st, err := argInt(env, start, "Mid", 2)
		if err != nil {
			return Value{}, err
		}
		ln, err := argInt(env, length, "Mid", 3)
		if err != nil {
			return Value{}, err
		}
		if st < 1 {
			st = 1
		}
		if ln <= 0 {
			return StringValue(""), nil
		}
		rest := s[len(runePrefix(s, st-1)):]
		return StringValue(runePrefix(rest, ln)), nil
	}, nil
}

// StripSpaces removes U+0020 only, as documented; multi-values are processed
// element by element.
func buildStripSpaces(b *builder) (evalFn, error) {
	return mapStrings(b, "StripSpaces", func(s string) (string, error) {
		return strings.ReplaceAll(s, " ", ""), nil
	}), nil
}

// mapStrings builds a one-argument string function that preserves null and
// applies itself to each element of a multi-value.
func mapStrings(b *builder, name string, f func(string) (string, error)) evalFn {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || v.kind == KindNull {
			return v, err
		}
		if v.kind == KindMulti {
			out := make([]string, len(v.m))
			for i, e := range v.m {
				if out[i], err = f(e); err != nil {
					return Value{}, evalErr(name, 1, err)
				}
			}
			return MultiValue(out), nil
		}
		r, err := f(v.String())
		if err != nil {
			return Value{}, evalErr(name, 1, err)
		}
		return StringValue(r), nil
	}
}

// Word(string, wordNumber, delimiters): runs of delimiter characters separate
// words (so empty words never count); out of range gives "".
func buildWord(b *builder) (evalFn, error) {
	if _, _, err := b.litInt(1); err != nil {
		return nil, err
	}
	src, num, delims := b.fn(0), b.fn(1), b.fn(2)
	return func(env *Env) (Value, error) {
		s, _, err := argStr(env, src, "Word", 1)
		if err != nil {
			return Value{}, err
		}
		n, err := argInt(env, num, "Word", 2)
		if err != nil {
			return Value{}, err
		}
		d, _, err := argStr(env, delims, "Word", 3)
		if err != nil {
			return Value{}, err
		}
		if n < 1 {
			return StringValue(""), nil
		}
		for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return strings.ContainsRune(d, r) }) {
			if n--; n == 0 {
				return StringValue(w), nil
			}
		}
		return StringValue(""), nil
	}, nil
}

// Split(source, delimiter) returns a multi-value. Elements are trimmed of
// surrounding white space: the reference's example splits
// "PermissionSetOne, PermissionSetTwo" on "," into two names without the
// blank. Null stays null.
func buildSplit(b *builder) (evalFn, error) {
	if d, ok := b.args[1].str(); ok && d == "" {
		return nil, b.errf(2, "delimiter must not be empty")
	}
	src, delim := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		s, v, err := argStr(env, src, "Split", 1)
		if err != nil || v.kind == KindNull {
			return Value{}, err
		}
		d, _, err := argStr(env, delim, "Split", 2)
		if err != nil {
			return Value{}, err
		}
		if d == "" {
			return MultiValue([]string{s}), nil
		}
		parts := strings.Split(s, d)
		for i, p := range parts {
			parts[i] = strings.TrimSpace(p)
		}
		return MultiValue(parts), nil
	}, nil
}

// ConvertToBase64 encodes the UTF-16LE bytes of the string (.NET
// Encoding.Unicode), which is what the reference's "Hello world!" example
// shows.
func buildBase64(b *builder) (evalFn, error) {
	return mapStrings(b, "ConvertToBase64", func(s string) (string, error) {
		u := utf16.Encode([]rune(s))
		buf := make([]byte, 2*len(u))
		for i, c := range u {
			buf[2*i], buf[2*i+1] = byte(c), byte(c>>8)
		}
		return base64.StdEncoding.EncodeToString(buf), nil
	}), nil
}

// ConvertToUTF8Hex renders the UTF-8 bytes as upper-case hex.
func buildUTF8Hex(b *builder) (evalFn, error) {
	return mapStrings(b, "ConvertToUTF8Hex", func(s string) (string, error) {
		if err := checkLen("ConvertToUTF8Hex", 2*len(s)); err != nil {
			return "", err
		}
		return strings.ToUpper(hex.EncodeToString([]byte(s))), nil
	}), nil
}

// CStr converts a number, boolean ("True"/"False"), date or reference to its
// string; null stays null.
func buildCStr(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		s, v, err := argStr(env, src, "CStr", 1)
		if err != nil || v.kind == KindNull || v.kind == KindString {
			return v, err
		}
		return StringValue(s), nil
	}, nil
}
