package odata

import (
	"strconv"
	"strings"
)

// Graph error codes the server puts in the JSON error body.
const (
	// CodeBadRequest is what Graph answers for malformed query options.
	CodeBadRequest = "BadRequest"
	// CodeUnsupportedQuery is what Graph answers for well-formed queries that
	// directory objects cannot run (e.g. comparing two properties).
	CodeUnsupportedQuery = "Request_UnsupportedQuery"
)

// Limits that keep hostile input cheap: parsing is linear in the input and
// recursion is bounded, so no filter can hang or exhaust the stack.
const (
	// MaxFilterLength caps $filter in bytes; Graph's own URL cap is lower.
	MaxFilterLength = 8 << 10
	// MaxDepth caps nesting of parentheses, not and lambdas.
	MaxDepth = 32
	// MaxOptionLength caps $select and $orderby in bytes.
	MaxOptionLength = 4 << 10
)

// Error is a query-option error shaped so the server can answer like Graph:
// HTTP 400 with {"error":{"code":Code,"message":Message}}.
type Error struct {
	Code    string // CodeBadRequest or CodeUnsupportedQuery
	Option  string // "$filter", "$select", "$orderby", "$top", "$count"
	Pos     int    // byte offset into the option value, or -1 when not positional
	Message string // complete, Graph-like message
}

func (e *Error) Error() string { return e.Message }

// maxQuoted bounds how much user input an error message echoes back.
const maxQuoted = 120

func quoteInput(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// syntaxError mirrors Graph's "Invalid filter clause: Syntax error at
// position N in '...'." and appends what went wrong.
func syntaxError(src string, pos int, detail string) *Error {
	var b strings.Builder
	b.WriteString("Invalid filter clause: Syntax error at position ")
	b.WriteString(strconv.Itoa(pos))
	b.WriteString(" in '")
	b.WriteString(quoteInput(src))
	b.WriteString("'.")
	if detail != "" {
		b.WriteString(" ")
		b.WriteString(detail)
	}
	return &Error{Code: CodeBadRequest, Option: "$filter", Pos: pos, Message: b.String()}
}

// filterError is a positional, non-syntax $filter error.
func filterError(code string, pos int, msg string) *Error {
	return &Error{Code: code, Option: "$filter", Pos: pos, Message: "Invalid filter clause: " + msg}
}

func unsupported(pos int, msg string) *Error {
	return &Error{Code: CodeUnsupportedQuery, Option: "$filter", Pos: pos, Message: "Unsupported Query. " + msg}
}
