package odata

import "strings"

// parseFunc parses startswith/endswith. Graph's directory objects support no
// other $filter functions (contains is $search territory), so anything else
// is an unsupported query rather than a syntax error.
func (p *parser) parseFunc() (node, *Error) {
	name := p.next()
	fn := strings.ToLower(name.text)
	switch fn {
	case "startswith":
	case "endswith":
		p.advanced = true
	default:
		return nil, unsupported(name.pos, "The function '"+quoteInput(name.text)+"' is not supported.")
	}
	p.next() // '('
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	if path.count {
		return nil, filterError(CodeBadRequest, path.pos, "The function '"+fn+"' cannot be applied to $count.")
	}
	if _, err := p.expect(tComma); err != nil {
		return nil, err
	}
	lt := p.next()
	if lt.kind != tString {
		return nil, syntaxError(p.src, lt.pos, "The second argument of '"+fn+"' must be a string literal.")
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	var n node = &funcNode{name: fn, path: path, lit: lt.lit}
	// OData lets a boolean function be compared with a boolean literal.
	if t := p.peek(); p.isKeyword(t, "eq") || p.isKeyword(t, "ne") {
		p.next()
		b := p.next()
		if !p.isKeyword(b, "true") && !p.isKeyword(b, "false") {
			return nil, syntaxError(p.src, b.pos, "Expected true or false but found "+describe(b)+".")
		}
		if p.isKeyword(t, "eq") != p.isKeyword(b, "true") {
			p.advanced = true
			n = &notNode{x: n}
		}
	}
	return n, nil
}

func (p *parser) parseClause() (node, *Error) {
	t := p.peek()
	if lit, ok := p.literalOf(t); ok {
		p.next()
		op, isOp := p.cmpOp(p.peek())
		if !isOp {
			if t.kind == tIdent && (lit.kind == litBool) {
				return &constNode{val: lit.b}, nil
			}
			return nil, syntaxError(p.src, p.peek().pos, "Expected a comparison operator after "+describe(t)+".")
		}
		p.next()
		rt := p.peek()
		if _, isLit := p.literalOf(rt); isLit || rt.kind != tIdent {
			return nil, unsupported(rt.pos, "Comparing two literals is not supported.")
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return p.comparison(path, op.flip(), lit, t.pos)
	}
	if t.kind != tIdent {
		return nil, p.unexpected(t)
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	// A lambda ends the path: coll/any(...) or coll/all(...).
	if p.peek().kind == tSlash {
		return p.parseLambda(path)
	}
	nt := p.peek()
	if op, ok := p.cmpOp(nt); ok {
		p.next()
		lt := p.next()
		lit, ok := p.literalOf(lt)
		if !ok {
			if lt.kind == tIdent {
				return nil, unsupported(lt.pos, "Comparing two properties is not supported.")
			}
			return nil, syntaxError(p.src, lt.pos, "Expected a literal but found "+describe(lt)+".")
		}
		return p.comparison(path, op, lit, lt.pos)
	}
	if p.isKeyword(nt, "in") {
		p.next()
		return p.parseIn(path)
	}
	if path.count {
		return nil, syntaxError(p.src, nt.pos, "$count must be compared with a number.")
	}
	return &boolNode{path: path}, nil
}

func (p *parser) comparison(path *pathNode, op cmpOp, lit literal, pos int) (node, *Error) {
	if op == opNe {
		p.advanced = true
	}
	if path.count {
		p.advanced = true
		if lit.kind != litInt {
			return nil, filterError(CodeBadRequest, pos, "$count must be compared with an integer.")
		}
	}
	if lit.kind == litNull && op != opEq && op != opNe {
		return nil, filterError(CodeBadRequest, pos, "null can only be compared with eq or ne.")
	}
	return &cmpNode{path: path, op: op, lit: lit}, nil
}

func (p *parser) parseIn(path *pathNode) (node, *Error) {
	if path.count {
		return nil, filterError(CodeBadRequest, path.pos, "$count cannot be used with in.")
	}
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	n := &inNode{path: path}
	for {
		t := p.next()
		lit, ok := p.literalOf(t)
		if !ok {
			return nil, syntaxError(p.src, t.pos, "Expected a literal in the 'in' list but found "+describe(t)+".")
		}
		n.lits = append(n.lits, lit)
		sep := p.next()
		if sep.kind == tRParen {
			return n, nil
		}
		if sep.kind != tComma {
			return nil, syntaxError(p.src, sep.pos, "Expected ',' or ')' but found "+describe(sep)+".")
		}
	}
}

// parsePath reads ident *("/" ident) [ "/$count" ], stopping before "/any" or
// "/all" so the caller can parse the lambda.
func (p *parser) parsePath() (*pathNode, *Error) {
	t, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	if isReserved(t.text) || t.text[0] == '$' {
		return nil, syntaxError(p.src, t.pos, "Expected a property name but found "+describe(t)+".")
	}
	path := &pathNode{segs: []string{t.text}, pos: t.pos}
	if len(p.vars) > 0 {
		switch {
		case t.text == p.vars[len(p.vars)-1]:
			path.variable = true
		case containsString(p.vars[:len(p.vars)-1], t.text):
			return nil, unsupported(t.pos, "A nested lambda cannot refer to the outer range variable '"+t.text+"'.")
		}
	}
	for p.peek().kind == tSlash {
		seg := p.toks[p.i+1]
		if seg.kind != tIdent {
			return nil, syntaxError(p.src, seg.pos, "Expected a property name after '/' but found "+describe(seg)+".")
		}
		if p.isKeyword(seg, "any") || p.isKeyword(seg, "all") {
			return path, nil
		}
		p.i += 2
		if seg.text == "$count" {
			path.count = true
			return path, nil
		}
		if seg.text[0] == '$' {
			return nil, syntaxError(p.src, seg.pos, "Unexpected "+describe(seg)+".")
		}
		path.segs = append(path.segs, seg.text)
	}
	return path, nil
}

func (p *parser) parseLambda(coll *pathNode) (node, *Error) {
	p.next() // '/'
	kw := p.next()
	n := &lambdaNode{coll: coll, all: p.isKeyword(kw, "all")}
	open, err := p.expect(tLParen)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tRParen {
		p.next()
		if n.all {
			return nil, syntaxError(p.src, open.pos, "all() needs a lambda expression.")
		}
		return n, nil
	}
	v, err := p.expect(tIdent)
	if err != nil {
		return nil, err
	}
	if isReserved(v.text) || v.text[0] == '$' {
		return nil, syntaxError(p.src, v.pos, "Invalid range variable "+describe(v)+".")
	}
	if _, err := p.expect(tColon); err != nil {
		return nil, err
	}
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	p.vars = append(p.vars, v.text)
	body, perr := p.parseOr()
	p.vars = p.vars[:len(p.vars)-1]
	p.depth--
	if perr != nil {
		return nil, perr
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	n.v, n.body = v.text, body
	return n, nil
}

// literalOf decodes t as a literal: strings, numbers, GUIDs, dates, true,
// false and null.
func (p *parser) literalOf(t token) (literal, bool) {
	switch t.kind {
	case tString, tNumber, tGUID, tTime:
		return t.lit, true
	case tIdent:
		switch {
		case strings.EqualFold(t.text, "null"):
			return literal{kind: litNull, text: "null"}, true
		case strings.EqualFold(t.text, "true"):
			return literal{kind: litBool, text: "true", b: true}, true
		case strings.EqualFold(t.text, "false"):
			return literal{kind: litBool, text: "false"}, true
		}
	}
	return literal{}, false
}

func (p *parser) cmpOp(t token) (cmpOp, bool) {
	if t.kind != tIdent || len(t.text) != 2 {
		return 0, false
	}
	for i, name := range opNames {
		if strings.EqualFold(t.text, name) {
			return cmpOp(i), true
		}
	}
	return 0, false
}

var reserved = []string{"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "null", "true", "false", "any", "all"}

func isReserved(s string) bool {
	for _, r := range reserved {
		if strings.EqualFold(s, r) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
