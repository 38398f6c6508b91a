package odata

import (
	"strconv"
	"strings"
)

// MaxTop is the largest page Graph serves for directory objects.
const MaxTop = 999

// OrderBy is one $orderby term.
type OrderBy struct {
	Property string
	Desc     bool
}

// ParseSelect splits a $select value into property names (trimmed, duplicates
// dropped case-insensitively, order kept). "*" is accepted as Graph does.
// Names are not checked against a schema; the server does that.
func ParseSelect(s string) ([]string, error) {
	if len(s) > MaxOptionLength {
		return nil, optionError("$select", -1, "The $select expression is too long.")
	}
	out := make([]string, 0, strings.Count(s, ",")+1)
	for pos, term := range terms(s) {
		name := strings.TrimSpace(term)
		if !validPath(name) && name != "*" {
			return nil, optionError("$select", pos,
				"Parsing OData Select and Expand failed: Term '"+quoteInput(term)+"' is not valid in a $select or $expand expression.")
		}
		if !containsFold(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// ParseOrderBy parses "prop [asc|desc], ...". Graph sorts directory objects
// by one property at most without advanced queries; that rule is the
// server's, this only parses.
func ParseOrderBy(s string) ([]OrderBy, error) {
	if len(s) > MaxOptionLength {
		return nil, optionError("$orderby", -1, "The $orderby expression is too long.")
	}
	var out []OrderBy
	for pos, term := range terms(s) {
		fields := strings.Fields(term)
		if len(fields) == 0 || len(fields) > 2 || !validPath(fields[0]) {
			return nil, optionError("$orderby", pos,
				"Syntax error at position "+strconv.Itoa(pos)+" in '"+quoteInput(s)+"'. Invalid $orderby term '"+quoteInput(term)+"'.")
		}
		ob := OrderBy{Property: fields[0]}
		if len(fields) == 2 {
			switch strings.ToLower(fields[1]) {
			case "asc":
			case "desc":
				ob.Desc = true
			default:
				return nil, optionError("$orderby", pos,
					"Syntax error at position "+strconv.Itoa(pos)+" in '"+quoteInput(s)+"'. Expected 'asc' or 'desc' but found '"+quoteInput(fields[1])+"'.")
			}
		}
		out = append(out, ob)
	}
	return out, nil
}

// ParseTop parses $top; Graph serves 1..999 directory objects per page.
func ParseTop(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, optionError("$top", -1, "Invalid value '"+quoteInput(s)+
			"' for $top query option found. The $top query option requires a non-negative integer value.")
	}
	if n < 1 || n > MaxTop {
		return 0, optionError("$top", -1, "Invalid page size specified: '"+strconv.Itoa(n)+
			"'. Must be between 1 and 999 inclusive.")
	}
	return n, nil
}

// ParseCount parses $count=true|false.
func ParseCount(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, optionError("$count", -1, "'"+quoteInput(s)+
		"' is not a valid count option. The $count query option requires 'true' or 'false'.")
}

func optionError(option string, pos int, msg string) *Error {
	return &Error{Code: CodeBadRequest, Option: option, Pos: pos, Message: msg}
}

// terms yields comma-separated terms with their byte offsets.
func terms(s string) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		start := 0
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ',' {
				if !yield(start, s[start:i]) {
					return
				}
				start = i + 1
			}
		}
	}
}

// validPath accepts name or name/name (e.g. manager/id), ASCII identifiers.
func validPath(s string) bool {
	if s == "" {
		return false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || !isIdentStart(seg[0]) || seg[0] == '$' {
			return false
		}
		for i := 1; i < len(seg); i++ {
			if !isIdentPart(seg[i]) {
				return false
			}
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
