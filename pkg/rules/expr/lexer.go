package expr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	tAttr   // [name]
	tString // "text"
	tInt    // 42, -7, &HF7
	tIdent  // function name or named constant
	tOp     // = <> < <= > >=
)

type token struct {
	kind tokKind
	pos  int    // byte offset of the first character
	text string // attribute name, unescaped string, identifier or operator
	num  int64
}

// describe renders a token for "found ..." in syntax errors.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tComma:
		return `","`
	case tAttr:
		return "attribute [" + t.text + "]"
	case tString:
		return "string " + strconv.Quote(clip(t.text))
	case tInt:
		return "number " + strconv.FormatInt(t.num, 10)
	case tIdent:
		return "identifier " + clip(t.text)
	case tOp:
		return `"` + t.text + `"`
	}
	return "token"
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// lexer produces tokens on demand; the parser needs one token of lookahead.
type lexer struct {
	src string
	off int
}

func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			break
		}
		l.off++
	}
	start := l.off
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	switch {
	case c == '(':
		l.off++
		return token{kind: tLParen, pos: start}, nil
	case c == ')':
		l.off++
		return token{kind: tRParen, pos: start}, nil
	case c == ',':
		l.off++
		return token{kind: tComma, pos: start}, nil
	case c == '[':
		end := strings.IndexByte(l.src[start+1:], ']')
		if end < 0 {
			return token{}, &SyntaxError{Pos: start, Msg: "unterminated attribute name: missing \"]\""}
		}
		name := strings.TrimSpace(l.src[start+1 : start+1+end])
		if name == "" {
			return token{}, &SyntaxError{Pos: start, Msg: "empty attribute name \"[]\""}
		}
		l.off = start + end + 2
		return token{kind: tAttr, pos: start, text: name}, nil
	case c == '"':
		return l.lexString(start)
	case c == '=':
		l.off++
		return token{kind: tOp, pos: start, text: "="}, nil
	case c == '<' || c == '>':
		l.off++
		op := string(c)
		if l.off < len(l.src) && (l.src[l.off] == '=' || (c == '<' && l.src[l.off] == '>')) {
			op += string(l.src[l.off])
			l.off++
		}
		return token{kind: tOp, pos: start, text: op}, nil
	case c == '-' || isDigit(c):
		return l.lexInt(start)
	case c == '&':
		return l.lexHex(start)
	}
	r, size := utf8.DecodeRuneInString(l.src[start:])
	if r == '_' || unicode.IsLetter(r) {
		l.off += size
		for l.off < len(l.src) {
			r, size = utf8.DecodeRuneInString(l.src[l.off:])
			if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			l.off += size
		}
		return token{kind: tIdent, pos: start, text: l.src[start:l.off]}, nil
	}
	return token{}, &SyntaxError{Pos: start, Expected: "expression", Found: strconv.QuoteRune(r)}
}

// lexString unescapes \" and \\ as the reference documents. A backslash
// before any other character is kept, so regex patterns written with single
// backslashes (\d) still work as they do in the Entra portal.
func (l *lexer) lexString(start int) (token, error) {
	i := start + 1
	var b *strings.Builder
	from := i
	for i < len(l.src) {
		switch l.src[i] {
		case '"':
			var s string
			if b == nil {
				s = l.src[from:i]
			} else {
				b.WriteString(l.src[from:i])
				s = b.String()
			}
			l.off = i + 1
			return token{kind: tString, pos: start, text: s}, nil
		case '\\':
			if i+1 < len(l.src) && (l.src[i+1] == '"' || l.src[i+1] == '\\') {
				if b == nil {
					b = &strings.Builder{}
				}
				b.WriteString(l.src[from:i])
				b.WriteByte(l.src[i+1])
				i += 2
				from = i
				continue
			}
		}
		i++
	}
	return token{}, &SyntaxError{Pos: start, Msg: "unterminated string literal: missing closing '\"'"}
}

func (l *lexer) lexInt(start int) (token, error) {
	i := start
	if l.src[i] == '-' {
		i++
	}
	digits := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	if i == digits {
		found := "end of input"
		if i < len(l.src) {
			r, _ := utf8.DecodeRuneInString(l.src[i:])
			found = strconv.QuoteRune(r)
		}
		return token{}, &SyntaxError{Pos: i, Expected: "digit after \"-\"", Found: found}
	}
	n, err := strconv.ParseInt(l.src[start:i], 10, 64)
	if err != nil {
		return token{}, &SyntaxError{Pos: start, Msg: "number " + clip(l.src[start:i]) + " out of 64-bit range"}
	}
	l.off = i
	return token{kind: tInt, pos: start, num: n}, nil
}

// lexHex reads a VBA hexadecimal literal such as &HF7 (used by the BitAnd
// example). Like VBA, &HFFFFFFFFFFFFFFFF wraps to -1.
func (l *lexer) lexHex(start int) (token, error) {
	i := start + 1
	if i >= len(l.src) || (l.src[i] != 'H' && l.src[i] != 'h') {
		return token{}, &SyntaxError{Pos: i, Expected: `"H" after "&" (hex literal such as &HF7)`, Found: l.describeAt(i)}
	}
	i++
	digits := i
	for i < len(l.src) && isHex(l.src[i]) {
		i++
	}
	if i == digits {
		return token{}, &SyntaxError{Pos: i, Expected: "hex digit", Found: l.describeAt(i)}
	}
	n, err := strconv.ParseUint(l.src[digits:i], 16, 64)
	if err != nil {
		return token{}, &SyntaxError{Pos: start, Msg: "hex number " + clip(l.src[start:i]) + " out of 64-bit range"}
	}
	l.off = i
	return token{kind: tInt, pos: start, num: int64(n)}, nil
}

func (l *lexer) describeAt(i int) string {
	if i >= len(l.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(l.src[i:])
	return strconv.QuoteRune(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
