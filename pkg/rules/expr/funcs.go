package expr

import (
	"fmt"
	"strings"
)

// funcSpec describes one function of the reference.
type funcSpec struct {
	name     string // canonical spelling, used in errors
	min, max int    // arity; max < 0 means variadic
	optMask  uint64 // bit i set: parameter i may be omitted
	optRest  bool   // variadic parameters beyond 64 may be omitted
	topOnly  bool   // must be the whole expression (SelectUniqueValue)
	impure   bool   // depends on Env beyond attributes: never constant-folded
	redacts  bool   // marks the program's output as secret (Redact)
	build    func(b *builder) (evalFn, error)
}

func (s *funcSpec) optional(i int) bool {
	if i < 64 {
		return s.optMask&(1<<i) != 0
	}
	return s.optRest
}

func (s *funcSpec) checkArity(n *callNode) error {
	got := len(n.args)
	if got >= s.min && (s.max < 0 || got <= s.max) {
		return nil
	}
	var want string
	switch {
	case s.max < 0:
		want = fmt.Sprintf("at least %d", s.min)
	case s.min == s.max:
		want = fmt.Sprintf("%d", s.min)
	default:
		want = fmt.Sprintf("%d to %d", s.min, s.max)
	}
	plural := "s"
	if want == "1" {
		plural = ""
	}
	return &CheckError{Pos: n.p, Func: s.name, Msg: fmt.Sprintf("takes %s argument%s, got %d", want, plural, got)}
}

// opt builds an optMask from parameter indexes.
func opt(idx ...int) uint64 {
	var m uint64
	for _, i := range idx {
		m |= 1 << i
	}
	return m
}

// funcs is the registry, keyed by lower-case name: Entra accepts any case.
var funcs = map[string]*funcSpec{}

func register(specs ...*funcSpec) {
	for _, s := range specs {
		funcs[strings.ToLower(s.name)] = s
	}
}

// Functions returns the canonical names of all supported functions, for
// documentation and auto-completion.
func Functions() []string {
	out := make([]string, 0, len(funcs))
	for _, s := range funcs {
		out = append(out, s.name)
	}
	sortStrings(out)
	return out
}
