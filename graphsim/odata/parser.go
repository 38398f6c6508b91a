package odata

import "strings"

// parser is a recursive-descent parser over pre-lexed tokens. Grammar, loosest
// first (OData precedence; `not` takes a whole comparison, which agrees with
// OData for every well-typed filter):
//
//	or      = and *("or" and)
//	and     = unary *("and" unary)
//	unary   = "not" unary / primary
//	primary = "(" or ")" / func / clause
//	func    = ("startswith" / "endswith") "(" path "," string ")" [("eq"/"ne") bool]
//	clause  = path [cmpop literal / "in" "(" literal *("," literal) ")"]
//	        / literal cmpop path / path "/" ("any"/"all") "(" [var ":" or] ")"
type parser struct {
	src      string
	toks     []token
	i        int
	depth    int
	vars     []string // lambda range variables in scope, innermost last
	advanced bool
}

func parse(src string) (node, bool, *Error) {
	if len(src) > MaxFilterLength {
		return nil, false, filterError(CodeBadRequest, MaxFilterLength,
			"The $filter expression is too long (limit 8192 bytes).")
	}
	if strings.TrimSpace(src) == "" {
		return nil, false, syntaxError(src, 0, "The $filter expression is empty.")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, false, err
	}
	p := &parser{src: src, toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, false, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, false, p.unexpected(t)
	}
	return n, p.advanced, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) expect(k tokKind) (token, *Error) {
	t := p.next()
	if t.kind != k {
		return t, syntaxError(p.src, t.pos, "Expected "+tokNames[k]+" but found "+describe(t)+".")
	}
	return t, nil
}

func (p *parser) unexpected(t token) *Error {
	return syntaxError(p.src, t.pos, "Unexpected "+describe(t)+".")
}

func describe(t token) string {
	if t.kind == tEOF {
		return "end of input"
	}
	return "'" + quoteInput(t.text) + "'"
}

func (p *parser) enter(pos int) *Error {
	p.depth++
	if p.depth > MaxDepth {
		return filterError(CodeBadRequest, pos, "The $filter expression is nested too deeply (limit 32).")
	}
	return nil
}

func (p *parser) parseOr() (node, *Error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &logicalNode{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (node, *Error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &logicalNode{l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseUnary() (node, *Error) {
	t := p.peek()
	if !p.isKeyword(t, "not") {
		return p.parsePrimary()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	x, err := p.parseUnary()
	p.depth--
	if err != nil {
		return nil, err
	}
	p.advanced = true
	return &notNode{x: x}, nil
}

func (p *parser) parsePrimary() (node, *Error) {
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		n, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	case t.kind == tIdent && p.toks[p.i+1].kind == tLParen && !p.isKeyword(t, "in"):
		return p.parseFunc()
	}
	return p.parseClause()
}
