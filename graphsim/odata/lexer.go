package odata

import (
	"strconv"
	"strings"
	"time"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tGUID
	tTime
	tLParen
	tRParen
	tComma
	tColon
	tSlash
)

var tokNames = [...]string{"end of input", "identifier", "string literal", "number", "GUID", "date", "'('", "')'", "','", "':'", "'/'"}

type token struct {
	kind tokKind
	pos  int
	text string // source text
	lit  literal
}

// lex splits src into tokens up front; src is capped, so the slice is small.
func lex(src string) ([]token, *Error) {
	toks := make([]token, 0, 16)
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i, text: "("})
			i++
			continue
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i, text: ")"})
			i++
			continue
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: i, text: ","})
			i++
			continue
		case c == ':':
			toks = append(toks, token{kind: tColon, pos: i, text: ":"})
			i++
			continue
		case c == '/':
			toks = append(toks, token{kind: tSlash, pos: i, text: "/"})
			i++
			continue
		case c == '\'':
			t, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += n
			continue
		}
		if n := guidLen(src[i:]); n > 0 {
			text := src[i : i+n]
			toks = append(toks, token{kind: tGUID, pos: i, text: text,
				lit: literal{kind: litGUID, text: text, str: text}})
			i += n
			continue
		}
		if isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])) {
			t, n, err := lexNumberOrTime(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += n
			continue
		}
		if isIdentStart(c) {
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, pos: i, text: src[i:j]})
			i = j
			continue
		}
		return nil, syntaxError(src, i, "Unexpected character "+strconv.QuoteRuneToASCII(firstRune(src[i:]))+".")
	}
	toks = append(toks, token{kind: tEOF, pos: len(src)})
	return toks, nil
}

// lexString reads a '...' literal where ” is an escaped quote.
func lexString(src string, start int) (token, int, *Error) {
	var b strings.Builder
	i := start + 1
	seg := i
	for i < len(src) {
		if src[i] != '\'' {
			i++
			continue
		}
		if i+1 < len(src) && src[i+1] == '\'' {
			b.WriteString(src[seg : i+1])
			i += 2
			seg = i
			continue
		}
		b.WriteString(src[seg:i])
		val := b.String()
		text := src[start : i+1]
		return token{kind: tString, pos: start, text: text, lit: stringLit(val)}, i + 1 - start, nil
	}
	return token{}, 0, syntaxError(src, start, "Unterminated string literal.")
}

// stringLit builds a canonical string literal; a value that reads as a date
// also carries the time so `createdDateTime ge '2024-01-01T00:00:00Z'` works.
func stringLit(val string) literal {
	l := literal{kind: litString, str: val, text: "'" + strings.ReplaceAll(val, "'", "''") + "'"}
	if t, ok := parseTime(val); ok {
		l.t, l.tOK = t, true
	}
	return l
}

func lexNumberOrTime(src string, start int) (token, int, *Error) {
	if n := timeLen(src[start:]); n > 0 {
		text := src[start : start+n]
		if t, ok := parseTime(text); ok {
			return token{kind: tTime, pos: start, text: text,
				lit: literal{kind: litTime, text: text, t: t, tOK: true}}, n, nil
		}
		return token{}, 0, syntaxError(src, start, "Invalid date literal '"+text+"'.")
	}
	i := start
	if src[i] == '-' {
		i++
	}
	isFloat := false
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		isFloat = true
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			isFloat = true
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if i < len(src) && isIdentPart(src[i]) {
		return token{}, 0, syntaxError(src, i, "Invalid numeric literal.")
	}
	text := src[start:i]
	l := literal{kind: litInt, text: text}
	if !isFloat {
		v, err := strconv.ParseInt(text, 10, 64)
		if err == nil {
			l.i = v
			return token{kind: tNumber, pos: start, text: text, lit: l}, i - start, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, 0, syntaxError(src, start, "Invalid numeric literal '"+quoteInput(text)+"'.")
	}
	l.kind, l.f = litFloat, f
	return token{kind: tNumber, pos: start, text: text, lit: l}, i - start, nil
}

// guidLen returns 36 when s starts with a GUID (8-4-4-4-12 hex digits) that
// is not part of a longer identifier, else 0.
func guidLen(s string) int {
	if len(s) < 36 {
		return 0
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return 0
			}
		} else if !isHex(c) {
			return 0
		}
	}
	if len(s) > 36 && (isIdentPart(s[36]) || s[36] == '-') {
		return 0
	}
	return 36
}

// timeLen measures a date or datetimeoffset literal: YYYY-MM-DD, optionally
// followed by Thh:mm[:ss[.fffffff]] and Z or ±hh:mm.
func timeLen(s string) int {
	if len(s) < 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return 0
	}
	i := 10
	if i < len(s) && (s[i] == 'T' || s[i] == 't') {
		i++
		for i < len(s) && (isDigit(s[i]) || s[i] == ':' || s[i] == '.') {
			i++
		}
		if i < len(s) && (s[i] == 'Z' || s[i] == 'z') {
			i++
		} else if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
			for i < len(s) && (isDigit(s[i]) || s[i] == ':') {
				i++
			}
		}
	}
	return i
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || len(s) > 40 || !isDigit(s[0]) {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isHex(c byte) bool        { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isIdentStart(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' || c == '$' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '.' }

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}
