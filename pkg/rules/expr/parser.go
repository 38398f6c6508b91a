package expr

import "strconv"

// The AST is short-lived: check turns it into evalFn closures.
type node interface{ pos() int }

type (
	callNode struct {
		p    int
		name string
		args []node
	}
	attrNode struct {
		p    int
		name string
	}
	strNode struct {
		p   int
		val string
	}
	intNode struct {
		p   int
		val int64
	}
	identNode struct {
		p    int
		name string
	}
	omittedNode struct{ p int } // an empty argument: F(a, , b)
	cmpNode     struct {
		p    int // position of the operator
		op   string
		l, r node
	}
)

func (n *callNode) pos() int    { return n.p }
func (n *attrNode) pos() int    { return n.p }
func (n *strNode) pos() int     { return n.p }
func (n *intNode) pos() int     { return n.p }
func (n *identNode) pos() int   { return n.p }
func (n *omittedNode) pos() int { return n.p }
func (n *cmpNode) pos() int     { return n.p }

// parser is a recursive-descent parser with one token of lookahead.
//
//	expr    = operand [ cmpop operand ]
//	operand = call | attribute | string | number | identifier
//	call    = identifier "(" [ arg { "," arg } ] ")"
//	arg     = [ expr ]           (empty means "omitted")
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func parse(src string) (node, error) {
	if len(src) > MaxSourceLen {
		return nil, &SyntaxError{Pos: MaxSourceLen, Msg: "expression longer than " + strconv.Itoa(MaxSourceLen) + " bytes"}
	}
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("end of input")
	}
	return n, nil
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(expected string) error {
	return &SyntaxError{Pos: p.tok.pos, Expected: expected, Found: p.tok.describe()}
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return &SyntaxError{Pos: pos, Msg: "expression nested deeper than " + strconv.Itoa(MaxDepth) + " levels"}
	}
	return nil
}

func (p *parser) expr() (node, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tOp {
		return l, nil
	}
	op := p.tok
	if err := p.enter(op.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if err := p.advance(); err != nil {
		return nil, err
	}
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tOp {
		return nil, &SyntaxError{Pos: p.tok.pos, Msg: "comparisons cannot be chained; nest IIF calls instead"}
	}
	return &cmpNode{p: op.pos, op: op.text, l: l, r: r}, nil
}

func (p *parser) operand() (node, error) {
	t := p.tok
	switch t.kind {
	case tAttr:
		return &attrNode{p: t.pos, name: t.text}, p.advance()
	case tString:
		return &strNode{p: t.pos, val: t.text}, p.advance()
	case tInt:
		return &intNode{p: t.pos, val: t.num}, p.advance()
	case tIdent:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tLParen {
			return &identNode{p: t.pos, name: t.text}, nil
		}
		return p.call(t)
	}
	return nil, p.unexpected("expression")
}

// call parses the argument list after the function name; p.tok is "(".
func (p *parser) call(name token) (node, error) {
	if err := p.enter(name.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	c := &callNode{p: name.pos, name: name.text}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tRParen {
		return c, p.advance()
	}
	for {
		if p.tok.kind == tComma || p.tok.kind == tRParen {
			c.args = append(c.args, &omittedNode{p: p.tok.pos})
		} else {
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
		}
		switch p.tok.kind {
		case tComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tRParen:
			return c, p.advance()
		default:
			return nil, p.unexpected(`")" or ","`)
		}
	}
}
