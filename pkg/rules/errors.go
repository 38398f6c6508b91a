package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is an outcome with a stable Code. Path names the configuration field
// (for configuration errors) or the attribute (for per-object errors).
type Error struct {
	Code Code
	Path string
	Msg  string
	Err  error
}

// Errorf builds an *Error; the message is formatted like fmt.Errorf, but %w
// is not interpreted: pass the cause as the last argument with Wrap instead.
func Errorf(code Code, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Wrap attaches cause so errors.Is/As see through the Error.
func (e *Error) Wrap(cause error) *Error { e.Err = cause; return e }

func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(" [")
	b.WriteString(string(e.Code))
	b.WriteString("]")
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of the first *Error in err's chain, or "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// FieldErrors collects every configuration problem at once, so an admin fixes
// a config in one round trip instead of one error per save.
type FieldErrors []*Error

// Add appends an error; nil is ignored so callers can Add(check()).
func (fe *FieldErrors) Add(err *Error) {
	if err != nil {
		*fe = append(*fe, err)
	}
}

// Addf appends a new error.
func (fe *FieldErrors) Addf(code Code, path, format string, args ...any) {
	*fe = append(*fe, Errorf(code, path, format, args...))
}

// Merge appends errs, prefixing each path with prefix ("" keeps it).
func (fe *FieldErrors) Merge(prefix string, errs FieldErrors) {
	for _, e := range errs {
		c := *e
		c.Path = JoinPath(prefix, e.Path)
		*fe = append(*fe, &c)
	}
}

// Err returns nil when empty so `return errs.Err()` is the natural ending.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func (fe FieldErrors) Error() string {
	lines := make([]string, len(fe))
	for i, e := range fe {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is/As look at each error.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// Sort orders errors by path then code so golden files are stable.
func (fe FieldErrors) Sort() {
	sort.SliceStable(fe, func(i, j int) bool {
		if fe[i].Path != fe[j].Path {
			return fe[i].Path < fe[j].Path
		}
		return fe[i].Code < fe[j].Code
	})
}

// JoinPath joins field path segments: JoinPath("a", "b") = "a.b",
// JoinPath("a", "[1].b") = "a[1].b".
func JoinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case path[0] == '[':
		return prefix + path
	}
	return prefix + "." + path
}

// Index renders a slice index path segment: Index("clauses", 0) = "clauses[0]".
func Index(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
