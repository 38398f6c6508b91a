package expr

import (
	"fmt"
	"strings"
)

// checker turns the AST into evalFn closures. All name resolution, arity and
// literal validation happens here so that Eval never sees a malformed call.
type checker struct {
	opts     Options
	attrs    []string
	seen     map[string]bool
	redacted bool
}

// arg is one compiled call argument as a function builder sees it.
type arg struct {
	n       node
	fn      evalFn
	lit     *Value // non-nil when the argument is a constant (literal or folded)
	omitted bool
}

// str returns the argument's constant string, if it is a non-null constant.
func (a arg) str() (string, bool) {
	if a.lit == nil || a.lit.IsNull() {
		return "", false
	}
	return a.lit.String(), true
}

// compiled is a checked node: its closure plus its value when constant.
type compiled struct {
	fn  evalFn
	lit *Value
}

func check(src string, root node, opts Options) (*Program, error) {
	c := &checker{opts: opts, seen: map[string]bool{}}
	out, err := c.compile(root, true)
	if err != nil {
		return nil, err
	}
	return &Program{src: src, root: out.fn, attrs: c.attrs, redacted: c.redacted}, nil
}

func constFn(v Value) compiled {
	return compiled{fn: func(*Env) (Value, error) { return v, nil }, lit: &v}
}

func (c *checker) compile(n node, top bool) (compiled, error) {
	switch n := n.(type) {
	case *strNode:
		return constFn(StringValue(n.val)), nil
	case *intNode:
		return constFn(IntValue(n.val)), nil
	case *identNode:
		return c.ident(n)
	case *attrNode:
		return c.attribute(n)
	case *cmpNode:
		return c.comparison(n)
	case *callNode:
		return c.call(n, top)
	case *omittedNode:
		return compiled{}, &CheckError{Pos: n.p, Msg: "missing expression"}
	}
	return compiled{}, &CheckError{Pos: n.pos(), Msg: fmt.Sprintf("unexpected node %T", n)}
}

// namedConstants are the bare identifiers the reference uses as values.
var namedConstants = map[string]Value{
	"vbbinarycompare": IntValue(0),
	"vbtextcompare":   IntValue(1),
	"true":            BoolValue(true),
	"false":           BoolValue(false),
}

func (c *checker) ident(n *identNode) (compiled, error) {
	if v, ok := namedConstants[strings.ToLower(n.name)]; ok {
		return constFn(v), nil
	}
	msg := fmt.Sprintf("unknown identifier %s (string constants need double quotes, attributes square brackets)", n.name)
	return compiled{}, &CheckError{Pos: n.p, Msg: msg}
}

func (c *checker) attribute(n *attrNode) (compiled, error) {
	key := strings.ToLower(n.name)
	if !c.seen[key] {
		if c.opts.KnownAttribute != nil && !c.opts.KnownAttribute(n.name) {
			return compiled{}, &CheckError{Pos: n.p, Msg: "unknown attribute [" + n.name + "]"}
		}
		c.seen[key] = true
		c.attrs = append(c.attrs, n.name)
	}
	return compiled{fn: func(env *Env) (Value, error) {
		if env.Attrs == nil {
			return Value{}, nil
		}
		v, _ := env.Attrs.Get(key)
		return v, nil
	}}, nil
}

func (c *checker) call(n *callNode, top bool) (compiled, error) {
	spec, ok := funcs[strings.ToLower(n.name)]
	if !ok {
		msg := "unknown function " + n.name
		if s := suggest(n.name); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		return compiled{}, &CheckError{Pos: n.p, Func: n.name, Msg: msg}
	}
	if err := spec.checkArity(n); err != nil {
		return compiled{}, err
	}
	if spec.topOnly && !top {
		return compiled{}, &CheckError{Pos: n.p, Func: spec.name, Msg: "must be the whole expression; it cannot be nested"}
	}
	args := make([]arg, len(n.args))
	allConst := true
	for i, an := range n.args {
		if _, omitted := an.(*omittedNode); omitted {
			if !spec.optional(i) {
				return compiled{}, &CheckError{Pos: an.pos(), Func: spec.name, Arg: i + 1, Msg: "required argument is missing"}
			}
			null := Value{}
			args[i] = arg{n: an, fn: constFn(null).fn, lit: &null, omitted: true}
			continue
		}
		sub, err := c.compile(an, false)
		if err != nil {
			return compiled{}, err
		}
		args[i] = arg{n: an, fn: sub.fn, lit: sub.lit}
		allConst = allConst && sub.lit != nil
	}
	if spec.redacts {
		c.redacted = true
	}
	b := &builder{c: c, spec: spec, call: n, args: args}
	fn, err := spec.build(b)
	if err != nil {
		return compiled{}, err
	}
	// Fold calls of pure functions on constants, e.g. ConvertToBase64("x"):
	// the work then happens once per configuration instead of per object.
	if allConst && !spec.impure && !b.noFold {
		if v, err := fn(&Env{}); err == nil {
			return constFn(v), nil
		}
	}
	return compiled{fn: fn}, nil
}

// builder is what a function's build hook receives.
type builder struct {
	c      *checker
	spec   *funcSpec
	call   *callNode
	args   []arg
	noFold bool // set by a build hook whose result depends on Env even for constant args
}

// errf reports a CheckError for argument i (1-based; 0 = the call).
func (b *builder) errf(i int, format string, a ...any) error {
	pos := b.call.p
	if i > 0 && i <= len(b.args) {
		pos = b.args[i-1].n.pos()
	}
	return &CheckError{Pos: pos, Func: b.spec.name, Arg: i, Msg: fmt.Sprintf(format, a...)}
}

// fn returns argument i's closure (0-based); a missing trailing argument is
// null.
func (b *builder) fn(i int) evalFn {
	if i < len(b.args) {
		return b.args[i].fn
	}
	return nullFn
}

// has reports whether argument i (0-based) was written, not omitted.
func (b *builder) has(i int) bool { return i < len(b.args) && !b.args[i].omitted }

// litInt returns argument i's constant integer value, if it is constant.
func (b *builder) litInt(i int) (int64, bool, error) {
	if i >= len(b.args) || b.args[i].lit == nil || b.args[i].omitted {
		return 0, false, nil
	}
	n, err := toInt(*b.args[i].lit)
	if err != nil {
		return 0, false, b.errf(i+1, "%v", err)
	}
	return n, true, nil
}

func (b *builder) fns(from int) []evalFn {
	out := make([]evalFn, 0, len(b.args)-from)
	for _, a := range b.args[from:] {
		out = append(out, a.fn)
	}
	return out
}

func nullFn(*Env) (Value, error) { return Value{}, nil }

// suggest finds the function name closest to a misspelt one.
func suggest(name string) string {
	if len(name) > 40 {
		return "" // no function name is that long; skip the quadratic work
	}
	name = strings.ToLower(name)
	best, bestD := "", 3
	for k, s := range funcs {
		if d := editDistance(name, k); d < bestD {
			best, bestD = s.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
