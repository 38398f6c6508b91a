package odata

import (
	"strings"
	"time"
)

// scope is what a compiled predicate sees: the object, and inside a lambda
// the current element. A string element stays unboxed in str so iterating
// otherMails or proxyAddresses allocates nothing. scope is passed by value
// for the same reason: a pointer handed to a func value would escape.
type scope struct {
	g     Getter
	el    any
	str   string
	isStr bool
}

type pred func(sc scope) bool

// valueTest is a predicate on one resolved value, built once per clause.
type valueTest interface {
	any(v any) bool
	str(s string) bool
}

func compile(n node) pred {
	switch n := n.(type) {
	case *logicalNode:
		l, r := compile(n.l), compile(n.r)
		if n.or {
			return func(sc scope) bool { return l(sc) || r(sc) }
		}
		return func(sc scope) bool { return l(sc) && r(sc) }
	case *notNode:
		x := compile(n.x)
		return func(sc scope) bool { return !x(sc) }
	case *constNode:
		v := n.val
		return func(scope) bool { return v }
	case *boolNode:
		get := accessor(n.path)
		return func(sc scope) bool { return truthy(get(sc)) }
	case *cmpNode:
		t := &cmpTest{op: n.op, lit: n.lit}
		if n.path.count {
			get := accessor(n.path)
			return func(sc scope) bool { return t.int(int64(countOf(get(sc)))) }
		}
		return bind(n.path, t)
	case *inNode:
		t := &inTest{tests: make([]cmpTest, len(n.lits))}
		for i, l := range n.lits {
			t.tests[i] = cmpTest{op: opEq, lit: l}
		}
		return bind(n.path, t)
	case *funcNode:
		return bind(n.path, &funcTest{suffix: n.name == "endswith", lit: n.lit.str})
	case *lambdaNode:
		return compileLambda(n)
	}
	return func(scope) bool { return false }
}

// bind applies t to the value at path p, keeping string lambda elements
// unboxed and skipping the generic accessor for plain property reads.
func bind(p *pathNode, t valueTest) pred {
	switch {
	case p.variable && len(p.segs) == 1:
		return func(sc scope) bool {
			if sc.isStr {
				return t.str(sc.str)
			}
			return t.any(sc.el)
		}
	case !p.variable && len(p.segs) == 1:
		name := p.segs[0]
		return func(sc scope) bool {
			v, _ := sc.g.Get(name)
			return t.any(v)
		}
	}
	get := accessor(p)
	return func(sc scope) bool { return t.any(get(sc)) }
}

// accessor resolves a path (without its /$count) to a value, nil when absent.
func accessor(p *pathNode) func(sc scope) any {
	segs := p.segs
	if !p.variable && len(segs) == 1 {
		name := segs[0]
		return func(sc scope) any {
			v, _ := sc.g.Get(name)
			return v
		}
	}
	return func(sc scope) any {
		var v any
		if p.variable {
			if sc.isStr {
				if len(segs) == 1 {
					return sc.str
				}
				return nil // a string has no sub-properties
			}
			v = sc.el
		} else {
			v, _ = sc.g.Get(segs[0])
		}
		for _, s := range segs[1:] {
			v = member(v, s)
		}
		return v
	}
}

// member reads a sub-property of a complex value; Graph matches property
// names case-insensitively, so an exact miss falls back to EqualFold.
func member(v any, name string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := m[name]; ok {
		return x
	}
	for k, x := range m {
		if strings.EqualFold(k, name) {
			return x
		}
	}
	return nil
}

func compileLambda(n *lambdaNode) pred {
	coll := accessor(n.coll)
	all := n.all
	if n.body == nil { // any(): the collection is non-empty
		return func(sc scope) bool { return countOf(coll(sc)) > 0 }
	}
	body := compile(n.body)
	// any stops at the first element that matches, all at the first that
	// does not; an absent or empty collection gives false for any, true for all.
	return func(sc scope) bool {
		inner := scope{g: sc.g}
		switch c := coll(sc).(type) {
		case []string:
			inner.isStr = true
			for _, s := range c {
				inner.str = s
				if body(inner) != all {
					return !all
				}
			}
		case []map[string]any:
			for _, m := range c {
				inner.el = m
				if body(inner) != all {
					return !all
				}
			}
		case []any:
			for _, e := range c {
				inner.str, inner.isStr = e.(string)
				inner.el = e
				if body(inner) != all {
					return !all
				}
			}
		}
		return all
	}
}

func countOf(v any) int {
	switch c := v.(type) {
	case []string:
		return len(c)
	case []map[string]any:
		return len(c)
	case []any:
		return len(c)
	}
	return 0
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case *bool:
		return b != nil && *b
	}
	return false
}

// deref unwraps the pointer types a Getter may hand out for nullable values.
func deref(v any) any {
	switch p := v.(type) {
	case *string:
		if p == nil {
			return nil
		}
		return *p
	case *bool:
		if p == nil {
			return nil
		}
		return *p
	case *time.Time:
		if p == nil {
			return nil
		}
		return *p
	case *int64:
		if p == nil {
			return nil
		}
		return *p
	}
	return v
}
