package odata

import (
	"strings"
	"time"
)

// node is one element of the parsed filter. The tree is small and typed so
// that compile can specialise each predicate once instead of interpreting
// per object.
type node interface{ isNode() }

type logicalNode struct {
	or   bool // false: and
	l, r node
}

type notNode struct{ x node }

// cmpNode is `path op literal`; a literal on the left is flipped at parse time.
type cmpNode struct {
	path *pathNode
	op   cmpOp
	lit  literal
}

type inNode struct {
	path *pathNode
	lits []literal
}

// funcNode is startswith(path,'x') or endswith(path,'x').
type funcNode struct {
	name string // canonical lower-case
	path *pathNode
	lit  literal
}

type lambdaNode struct {
	coll *pathNode
	all  bool
	v    string // range variable; "" for any()
	body node   // nil for any()
}

// boolNode is a bare boolean property used as a clause: `accountEnabled`.
type boolNode struct{ path *pathNode }

type constNode struct{ val bool }

func (*logicalNode) isNode() {}
func (*notNode) isNode()     {}
func (*cmpNode) isNode()     {}
func (*inNode) isNode()      {}
func (*funcNode) isNode()    {}
func (*lambdaNode) isNode()  {}
func (*boolNode) isNode()    {}
func (*constNode) isNode()   {}

// pathNode is a property path. When variable is set, segs[0] is a lambda
// range variable and the rest walk into the current element.
type pathNode struct {
	segs     []string
	variable bool
	count    bool // trailing /$count
	pos      int
}

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opGt
	opGe
	opLt
	opLe
)

var opNames = [...]string{"eq", "ne", "gt", "ge", "lt", "le"}

// flip turns `lit op path` into `path flip(op) lit`.
func (o cmpOp) flip() cmpOp {
	switch o {
	case opGt:
		return opLt
	case opGe:
		return opLe
	case opLt:
		return opGt
	case opLe:
		return opGe
	}
	return o
}

type litKind uint8

const (
	litNull litKind = iota
	litString
	litGUID
	litBool
	litInt
	litFloat
	litTime
)

// literal keeps its source text for String and its decoded value for Match.
type literal struct {
	kind litKind
	text string // canonical source form
	str  string // decoded string (litString, litGUID)
	b    bool
	i    int64
	f    float64
	t    time.Time
	tOK  bool // t is set (litTime, or a string that parses as a date)
}

// format prints n canonically with minimal parentheses.
func format(n node) string {
	var b strings.Builder
	writeNode(&b, n, precOr)
	return b.String()
}

const (
	precOr = iota
	precAnd
	precUnary
)

func writeNode(b *strings.Builder, n node, outer int) {
	switch n := n.(type) {
	case *logicalNode:
		prec, kw := precAnd, " and "
		if n.or {
			prec, kw = precOr, " or "
		}
		if prec < outer {
			b.WriteByte('(')
		}
		writeNode(b, n.l, prec)
		b.WriteString(kw)
		// Both operators are associative; a right child of equal precedence
		// keeps its parentheses so the tree shape round-trips exactly.
		writeNode(b, n.r, prec+1)
		if prec < outer {
			b.WriteByte(')')
		}
	case *notNode:
		b.WriteString("not ")
		// Comparisons get parentheses too: `not (a eq 'x')` reads the same
		// under our grammar and under strict OData precedence.
		switch n.x.(type) {
		case *funcNode, *lambdaNode, *boolNode, *constNode:
			writeNode(b, n.x, precUnary)
		default:
			b.WriteByte('(')
			writeNode(b, n.x, precOr)
			b.WriteByte(')')
		}
	case *cmpNode:
		writePath(b, n.path)
		b.WriteByte(' ')
		b.WriteString(opNames[n.op])
		b.WriteByte(' ')
		b.WriteString(n.lit.text)
	case *inNode:
		writePath(b, n.path)
		b.WriteString(" in (")
		for i, l := range n.lits {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.text)
		}
		b.WriteByte(')')
	case *funcNode:
		b.WriteString(n.name)
		b.WriteByte('(')
		writePath(b, n.path)
		b.WriteByte(',')
		b.WriteString(n.lit.text)
		b.WriteByte(')')
	case *lambdaNode:
		writePath(b, n.coll)
		if n.all {
			b.WriteString("/all(")
		} else {
			b.WriteString("/any(")
		}
		if n.body != nil {
			b.WriteString(n.v)
			b.WriteByte(':')
			writeNode(b, n.body, precOr)
		}
		b.WriteByte(')')
	case *boolNode:
		writePath(b, n.path)
	case *constNode:
		if n.val {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	}
}

func writePath(b *strings.Builder, p *pathNode) {
	for i, s := range p.segs {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(s)
	}
	if p.count {
		b.WriteString("/$count")
	}
}

// walkPaths visits every property path in the tree, lambda collections
// included, in source order.
func walkPaths(n node, fn func(*pathNode)) {
	switch n := n.(type) {
	case *logicalNode:
		walkPaths(n.l, fn)
		walkPaths(n.r, fn)
	case *notNode:
		walkPaths(n.x, fn)
	case *cmpNode:
		fn(n.path)
	case *inNode:
		fn(n.path)
	case *funcNode:
		fn(n.path)
	case *lambdaNode:
		fn(n.coll)
		if n.body != nil {
			walkPaths(n.body, fn)
		}
	case *boolNode:
		fn(n.path)
	}
}
