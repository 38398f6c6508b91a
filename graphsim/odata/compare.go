package odata

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// cmpTest is `value op literal` with Graph's null rules: an unset property,
// nil and "" are null; null eq null; null ne 'x'; ordering against null is
// false.
type cmpTest struct {
	op  cmpOp
	lit literal
}

func (t *cmpTest) any(v any) bool {
	switch v := deref(v).(type) {
	case nil:
		return t.null()
	case string:
		return t.str(v)
	case bool:
		if t.lit.kind != litBool {
			return t.result(0, false)
		}
		return t.result(boolCmp(v, t.lit.b), true)
	case int:
		return t.int(int64(v))
	case int32:
		return t.int(int64(v))
	case int64:
		return t.int(v)
	case float64:
		return t.float(v)
	case float32:
		return t.float(float64(v))
	case time.Time:
		return t.time(v)
	case []string:
		if len(v) == 0 {
			return t.null()
		}
	case []map[string]any:
		if len(v) == 0 {
			return t.null()
		}
	}
	return t.result(0, false)
}

func (t *cmpTest) str(s string) bool {
	if s == "" {
		return t.null()
	}
	switch t.lit.kind {
	case litString, litGUID:
		if t.op == opEq || t.op == opNe {
			return t.result(boolToCmp(!strings.EqualFold(s, t.lit.str)), true)
		}
		return t.result(compareFold(s, t.lit.str), true)
	case litTime:
		// Dates may reach us as RFC 3339 strings from a map-backed Getter.
		if tv, ok := parseTime(s); ok {
			return t.result(tv.Compare(t.lit.t), true)
		}
	}
	return t.result(0, false)
}

func (t *cmpTest) int(n int64) bool {
	switch t.lit.kind {
	case litInt:
		return t.result(cmpOrdered(n, t.lit.i), true)
	case litFloat:
		return t.result(cmpOrdered(float64(n), t.lit.f), true)
	case litNull:
		return t.op == opNe
	}
	return t.result(0, false)
}

func (t *cmpTest) float(f float64) bool {
	switch t.lit.kind {
	case litInt:
		return t.result(cmpOrdered(f, float64(t.lit.i)), true)
	case litFloat:
		return t.result(cmpOrdered(f, t.lit.f), true)
	case litNull:
		return t.op == opNe
	}
	return t.result(0, false)
}

func (t *cmpTest) time(v time.Time) bool {
	if !t.lit.tOK {
		return t.result(0, false)
	}
	return t.result(v.Compare(t.lit.t), true)
}

// null answers for a null value.
func (t *cmpTest) null() bool {
	if t.lit.kind == litNull {
		return t.op == opEq
	}
	return t.op == opNe
}

// result turns a comparison into the operator's answer. ok=false means the
// value and the literal are of unlike types (or the literal is null): only ne
// holds.
func (t *cmpTest) result(c int, ok bool) bool {
	if !ok || t.lit.kind == litNull {
		return t.op == opNe
	}
	switch t.op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return false
}

// inTest is `value in (a, b, ...)`: eq against any literal.
type inTest struct{ tests []cmpTest }

func (t *inTest) any(v any) bool {
	for i := range t.tests {
		if t.tests[i].any(v) {
			return true
		}
	}
	return false
}

func (t *inTest) str(s string) bool {
	for i := range t.tests {
		if t.tests[i].str(s) {
			return true
		}
	}
	return false
}

// funcTest is startswith/endswith, case-insensitive as Graph is on directory
// properties. Null never matches.
type funcTest struct {
	suffix bool
	lit    string
}

func (t *funcTest) any(v any) bool {
	s, ok := deref(v).(string)
	return ok && t.str(s)
}

func (t *funcTest) str(s string) bool {
	if s == "" {
		return false
	}
	if t.suffix {
		return hasSuffixFold(s, t.lit)
	}
	return hasPrefixFold(s, t.lit)
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolCmp(a, b bool) int {
	if a == b {
		return 0
	}
	if !a {
		return -1
	}
	return 1
}

func boolToCmp(differ bool) int {
	if differ {
		return 1
	}
	return 0
}

// foldRune maps a rune to one representative of its case class.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// compareFold orders strings rune by rune, ignoring case, without allocating.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			fa, fb := foldRune(ra), foldRune(rb)
			if fa != fb {
				return cmpOrdered(int64(fa), int64(fb))
			}
		}
		a, b = a[na:], b[nb:]
	}
	return cmpOrdered(int64(len(a)), int64(len(b)))
}

func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		if c, p := s[0], prefix[0]; c < utf8.RuneSelf && p < utf8.RuneSelf {
			if c != p && foldRune(rune(c)) != foldRune(rune(p)) {
				return false
			}
			s, prefix = s[1:], prefix[1:]
			continue
		}
		rs, ns := utf8.DecodeRuneInString(s)
		rp, np := utf8.DecodeRuneInString(prefix)
		if rs != rp && foldRune(rs) != foldRune(rp) {
			return false
		}
		s, prefix = s[ns:], prefix[np:]
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		if c, p := s[len(s)-1], suffix[len(suffix)-1]; c < utf8.RuneSelf && p < utf8.RuneSelf {
			if c != p && foldRune(rune(c)) != foldRune(rune(p)) {
				return false
			}
			s, suffix = s[:len(s)-1], suffix[:len(suffix)-1]
			continue
		}
		rs, ns := utf8.DecodeLastRuneInString(s)
		rp, np := utf8.DecodeLastRuneInString(suffix)
		if rs != rp && foldRune(rs) != foldRune(rp) {
			return false
		}
		s, suffix = s[:len(s)-ns], suffix[:len(suffix)-np]
	}
	return true
}
