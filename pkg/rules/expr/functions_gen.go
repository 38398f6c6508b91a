package expr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

func init() {
	register(
		&funcSpec{name: "Guid", min: 0, max: 0, impure: true, build: buildGuid},
		&funcSpec{name: "RandomString", min: 5, max: 6, optMask: opt(5), impure: true, build: buildRandomString},
		&funcSpec{name: "Redact", min: 1, max: 1, redacts: true, build: func(b *builder) (evalFn, error) { return b.fn(0), nil }},
		&funcSpec{name: "SelectUniqueValue", min: 2, max: -1, topOnly: true, impure: true, build: buildSelectUnique},
	)
}

func randReader(env *Env) io.Reader {
	if env.Rand != nil {
		return env.Rand
	}
	return rand.Reader
}

// Guid() returns a random (version 4) GUID in the lower-case 8-4-4-4-12 form.
func buildGuid(*builder) (evalFn, error) {
	return func(env *Env) (Value, error) {
		var u [16]byte
		if _, err := io.ReadFull(randReader(env), u[:]); err != nil {
			return Value{}, &EvalError{Func: "Guid", Msg: "read random bytes: " + err.Error(), Err: err}
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		var out [36]byte
		hex.Encode(out[0:8], u[0:4])
		hex.Encode(out[9:13], u[4:6])
		hex.Encode(out[14:18], u[6:8])
		hex.Encode(out[19:23], u[8:10])
		hex.Encode(out[24:], u[10:])
		out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
		return StringValue(string(out[:])), nil
	}, nil
}

// Character classes of RandomString: those of the Windows "password must
// meet complexity requirements" policy the reference links to.
const (
	rsDigits  = "0123456789"
	rsUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	rsLower   = "abcdefghijklmnopqrstuvwxyz"
	rsSpecial = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
	rsMaxLen  = 256
)

// RandomString(length, minNumbers, minSpecial, minCapital, minLower,
// charactersToAvoid) draws the minimum of each class, fills the rest from
// the classes that have a minimum (all four when every minimum is 0), and
// shuffles. Length is at most 256 and at least the sum of the minimums;
// literal arguments are checked at Compile.
func buildRandomString(b *builder) (evalFn, error) {
	var lits [5]int64
	allLit := true
	for i := range 5 {
		n, ok, err := b.litInt(i)
		if err != nil {
			return nil, err
		}
		lits[i], allLit = n, allLit && ok
	}
	avoid, avoidLit := "", !b.has(5)
	if b.has(5) {
		avoid, avoidLit = b.args[5].str()
	}
	if allLit && avoidLit {
		if _, err := newRandSpec(lits, avoid); err != nil {
			return nil, b.errf(0, "%v", err)
		}
	}
	fns := b.fns(0)
	return func(env *Env) (Value, error) {
		var p [5]int64
		for i := range 5 {
			n, err := argInt(env, fns[i], "RandomString", i+1)
			if err != nil {
				return Value{}, err
			}
			p[i] = n
		}
		av := ""
		if len(fns) > 5 {
			var err error
			if av, _, err = argStr(env, fns[5], "RandomString", 6); err != nil {
				return Value{}, err
			}
		}
		spec, err := newRandSpec(p, av)
		if err != nil {
			return Value{}, &EvalError{Func: "RandomString", Msg: err.Error(), Err: err}
		}
		s, err := spec.generate(randReader(env))
		if err != nil {
			return Value{}, &EvalError{Func: "RandomString", Msg: "read random bytes: " + err.Error(), Err: err}
		}
		return StringValue(s), nil
	}, nil
}

type randSpec struct {
	length  int
	classes [4]string // digits, special, upper, lower (the parameter order)
	mins    [4]int
	fill    string
}

func newRandSpec(p [5]int64, avoid string) (*randSpec, error) {
	if p[0] < 1 || p[0] > rsMaxLen {
		return nil, fmt.Errorf("length must be 1 to %d, got %d", rsMaxLen, p[0])
	}
	s := &randSpec{length: int(p[0])}
	sum := int64(0)
	for i, set := range [4]string{rsDigits, rsSpecial, rsUpper, rsLower} {
		if p[i+1] < 0 || p[i+1] > rsMaxLen {
			return nil, fmt.Errorf("minimum %d must be 0 to %d, got %d", i+1, rsMaxLen, p[i+1])
		}
		sum += p[i+1]
		s.classes[i] = strings.Map(func(r rune) rune {
			if strings.ContainsRune(avoid, r) {
				return -1
			}
			return r
		}, set)
		s.mins[i] = int(p[i+1])
		if s.mins[i] > 0 && s.classes[i] == "" {
			return nil, fmt.Errorf("charactersToAvoid excludes every character of a class with minimum %d", s.mins[i])
		}
		if s.mins[i] > 0 {
			s.fill += s.classes[i]
		}
	}
	if sum > p[0] {
		return nil, fmt.Errorf("length %d is less than the sum of the minimums (%d)", p[0], sum)
	}
	if s.fill == "" {
		s.fill = strings.Join(s.classes[:], "")
	}
	if s.fill == "" && int64(s.length) > sum {
		return nil, fmt.Errorf("charactersToAvoid excludes every character")
	}
	return s, nil
}

func (s *randSpec) generate(r io.Reader) (string, error) {
	rr := byteRand{r: r}
	out := make([]byte, 0, s.length)
	for i, set := range s.classes {
		for range s.mins[i] {
			k, err := rr.intn(len(set))
			if err != nil {
				return "", err
			}
			out = append(out, set[k])
		}
	}
	for len(out) < s.length {
		k, err := rr.intn(len(s.fill))
		if err != nil {
			return "", err
		}
		out = append(out, s.fill[k])
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rr.intn(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

// byteRand draws unbiased small integers from a byte stream by rejection.
type byteRand struct {
	r   io.Reader
	buf [64]byte
	n   int
	i   int
}

func (b *byteRand) intn(n int) (int, error) {
	limit := 256 - 256%n
	for {
		if b.i == b.n {
			if _, err := io.ReadFull(b.r, b.buf[:]); err != nil {
				return 0, err
			}
			b.i, b.n = 0, len(b.buf)
		}
		c := int(b.buf[b.i])
		b.i++
		if c < limit {
			return c % n, nil
		}
	}
}

// SelectUniqueValue(rule1, rule2, ...) evaluates the rules in order and
// returns the first non-empty candidate that Env.IsUnique accepts; with no
// IsUnique the first non-empty candidate. When every candidate is taken it
// returns an error wrapping ErrNoUniqueValue (Entra escrows the object). It
// must be the whole expression, as documented. Entra restricts it to HR and
// AD targets; xtsync allows it for cross-tenant targets (e.g. unique
// mailNickname), answered by the writer's lookup in the target tenant.
func buildSelectUnique(b *builder) (evalFn, error) {
	rules := b.fns(0)
	return func(env *Env) (Value, error) {
		ctx := env.Ctx
		if ctx == nil {
			ctx = context.Background()
		}
		for i, f := range rules {
			s, v, err := argStr(env, f, "SelectUniqueValue", i+1)
			if err != nil {
				return Value{}, err
			}
			if s == "" {
				continue
			}
			if env.IsUnique == nil {
				return v, nil
			}
			ok, err := env.IsUnique(ctx, s)
			if err != nil {
				return Value{}, &EvalError{Func: "SelectUniqueValue", Arg: i + 1, Msg: "check uniqueness: " + err.Error(), Err: err}
			}
			if ok {
				return StringValue(s), nil
			}
		}
		return Value{}, &EvalError{Func: "SelectUniqueValue", Err: ErrNoUniqueValue}
	}, nil
}
