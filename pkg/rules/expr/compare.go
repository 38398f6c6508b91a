package expr

import (
	"errors"
	"strconv"
	"strings"
)

// comparison compiles a = b, a <> b, a < b, ... used by IIF and CBool.
//
// Semantics (the reference only says the operators exist):
//   - null compares as the empty string, so [country]="" is true for an
//     absent attribute (Entra documents that IIF "fails" on null; xtsync
//     gives the behaviour its Switch workaround gives);
//   - two integers, or an integer and a numeric string, compare as numbers;
//   - a boolean and a string compare as booleans when the string is
//     "True"/"False" in any case;
//   - a date and a date or date string compare as instants;
//   - otherwise strings compare ordinally and case-sensitively, like Switch;
//   - a multi-value equals a scalar when any element does; ordering it is an
//     error.
func (c *checker) comparison(n *cmpNode) (compiled, error) {
	l, err := c.compile(n.l, false)
	if err != nil {
		return compiled{}, err
	}
	r, err := c.compile(n.r, false)
	if err != nil {
		return compiled{}, err
	}
	want, ok := cmpOps[n.op]
	if !ok {
		return compiled{}, &CheckError{Pos: n.p, Msg: "unknown operator " + n.op}
	}
	op := n.op
	fn := func(env *Env) (Value, error) {
		a, err := l.fn(env)
		if err != nil {
			return Value{}, err
		}
		b, err := r.fn(env)
		if err != nil {
			return Value{}, err
		}
		res, err := compareValues(a, b, want)
		if err != nil {
			return Value{}, &EvalError{Func: "operator " + op, Msg: err.Error(), Err: err}
		}
		return BoolValue(res), nil
	}
	if l.lit != nil && r.lit != nil {
		if v, err := fn(&Env{}); err == nil {
			return constFn(v), nil
		}
	}
	return compiled{fn: fn}, nil
}

// cmpOps maps an operator to the set of orderings (-1, 0, 1) it accepts,
// encoded as bits 0..2.
var cmpOps = map[string]uint8{
	"=":  0b010,
	"<>": 0b101,
	"<":  0b001,
	"<=": 0b011,
	">":  0b100,
	">=": 0b110,
}

func compareValues(a, b Value, want uint8) (bool, error) {
	if a.kind == KindMulti || b.kind == KindMulti {
		if want != cmpOps["="] && want != cmpOps["<>"] {
			return false, errMulti
		}
		if a.kind == KindMulti && b.kind == KindMulti {
			return a.Equal(b) == (want == cmpOps["="]), nil
		}
		m, s := a, b
		if b.kind == KindMulti {
			m, s = b, a
		}
		any := false
		for _, e := range m.m {
			if o, _ := order(StringValue(e), s); o == 0 {
				any = true
				break
			}
		}
		return any == (want == cmpOps["="]), nil
	}
	o, err := order(a, b)
	if err != nil {
		return false, err
	}
	return want&(1<<(o+1)) != 0, nil
}

// order returns -1, 0 or 1 for scalars a and b.
func order(a, b Value) (int, error) {
	if a.kind == KindNull {
		a = StringValue("")
	}
	if b.kind == KindNull {
		b = StringValue("")
	}
	switch {
	case a.kind == KindString && b.kind == KindString:
		return strings.Compare(a.s, b.s), nil
	case a.kind == KindInt || b.kind == KindInt:
		x, okx := numeric(a)
		y, oky := numeric(b)
		if okx && oky {
			return cmpInt(x, y), nil
		}
	case a.kind == KindBool || b.kind == KindBool:
		x, errx := toBool(a)
		y, erry := toBool(b)
		if errx == nil && erry == nil && (a.kind == KindBool || isBoolWord(a.s)) && (b.kind == KindBool || isBoolWord(b.s)) {
			return cmpInt(b2i(x), b2i(y)), nil
		}
	case a.kind == KindDateTime || b.kind == KindDateTime:
		x, errx := toTicks(a)
		y, erry := toTicks(b)
		if err := errors.Join(errx, erry); err != nil {
			return 0, err
		}
		return cmpInt(x, y), nil
	}
	return strings.Compare(a.String(), b.String()), nil
}

func numeric(v Value) (int64, bool) {
	if v.kind == KindInt {
		return v.n, true
	}
	if v.kind != KindString {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	return n, err == nil
}

func isBoolWord(s string) bool {
	s = strings.TrimSpace(s)
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
