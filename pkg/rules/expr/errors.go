package expr

import (
	"errors"
	"fmt"
)

// ErrIgnoreFlow is returned (wrapped) by IgnoreFlowIfNullOrEmpty when its
// argument is null or empty: the caller must drop the target attribute from
// the flow instead of writing a value.
var ErrIgnoreFlow = errors.New("expr: attribute ignored by IgnoreFlowIfNullOrEmpty")

// ErrNoUniqueValue is returned (wrapped) by SelectUniqueValue when every
// candidate is already taken in the target; Entra escrows the object.
var ErrNoUniqueValue = errors.New("expr: SelectUniqueValue found no unique value")

// SyntaxError reports a lexical or grammatical error, or a size/nesting limit,
// at a byte offset (from 0) in the source.
type SyntaxError struct {
	Pos      int    // byte offset in the source, from 0
	Expected string // what the parser wanted, e.g. `")" or ","`
	Found    string // what it saw, e.g. `end of input` or `"]"`
	Msg      string // set instead of Expected/Found for limit errors
}

func (e *SyntaxError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("expr: position %d: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("expr: position %d: expected %s, found %s", e.Pos, e.Expected, e.Found)
}

// CheckError reports a well-formed expression that cannot run: an unknown
// function or attribute, a wrong number of arguments, or a literal argument of
// the wrong type or value. Arg is the 1-based argument index, 0 for the call
// itself.
type CheckError struct {
	Pos  int // byte offset of the offending call or argument
	Func string
	Arg  int
	Msg  string
	Err  error // underlying cause (e.g. a regexp error), may be nil
}

func (e *CheckError) Error() string {
	switch {
	case e.Func == "":
		return fmt.Sprintf("expr: position %d: %s", e.Pos, e.Msg)
	case e.Arg == 0:
		return fmt.Sprintf("expr: position %d: %s: %s", e.Pos, e.Func, e.Msg)
	default:
		return fmt.Sprintf("expr: position %d: %s argument %d: %s", e.Pos, e.Func, e.Arg, e.Msg)
	}
}

func (e *CheckError) Unwrap() error { return e.Err }

// EvalError reports a failure while evaluating a compiled expression for one
// object, e.g. an unparsable date. Arg is the 1-based argument index, 0 when
// the failure is not tied to one argument.
type EvalError struct {
	Func string
	Arg  int
	Msg  string
	Err  error // underlying cause, may be nil (ErrIgnoreFlow, ErrNoUniqueValue, ctx errors)
}

func (e *EvalError) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Arg == 0 {
		return fmt.Sprintf("expr: %s: %s", e.Func, msg)
	}
	return fmt.Sprintf("expr: %s argument %d: %s", e.Func, e.Arg, msg)
}

func (e *EvalError) Unwrap() error { return e.Err }
