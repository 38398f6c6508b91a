package expr

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Coercions follow Entra's string-first model: every scalar has a string
// form, and numbers, booleans and dates are parsed from strings when a
// function needs them. They return plain errors; callers wrap them in an
// EvalError naming the function and argument.

var errMulti = errors.New("multi-valued attribute where a single value is expected")

// toStr returns the single string form of v; null is "". A multi-value with
// one element is that element; more elements are an error, since silently
// picking one would write wrong data.
func toStr(v Value) (string, error) {
	switch v.kind {
	case KindString:
		return v.s, nil
	case KindMulti:
		switch len(v.m) {
		case 0:
			return "", nil
		case 1:
			return v.m[0], nil
		}
		return "", fmt.Errorf("%w (it has %d values)", errMulti, len(v.m))
	}
	return v.String(), nil
}

func toInt(v Value) (int64, error) {
	switch v.kind {
	case KindInt:
		return v.n, nil
	case KindBool:
		return v.n, nil
	case KindNull:
		return 0, errors.New("null where a number is expected")
	}
	s, err := toStr(v)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", clip(s))
	}
	return n, nil
}

// toBool accepts booleans, "True"/"False" in any case, and numbers (non-zero
// is true, as VBA's CBool). Null and "" are false.
func toBool(v Value) (bool, error) {
	switch v.kind {
	case KindBool:
		return v.n != 0, nil
	case KindInt:
		return v.n != 0, nil
	case KindNull:
		return false, nil
	}
	s, err := toStr(v)
	if err != nil {
		return false, err
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return false, nil
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n != 0, nil
	}
	return false, fmt.Errorf("%q is not a boolean", clip(s))
}

// toTicks returns v as a date: a date value, or a string CDate understands.
func toTicks(v Value) (int64, error) {
	if v.kind == KindDateTime {
		return v.n, nil
	}
	if v.kind == KindInt || v.kind == KindBool {
		return 0, fmt.Errorf("%s %s is not a date", v.kind, v.String())
	}
	s, err := toStr(v)
	if err != nil {
		return 0, err
	}
	return parseLooseDate(s)
}

// evalErr wraps a coercion or runtime failure for function fn, argument i.
func evalErr(fn string, i int, err error) error {
	var ee *EvalError
	if errors.As(err, &ee) {
		return err // already names the innermost function
	}
	return &EvalError{Func: fn, Arg: i, Msg: err.Error(), Err: err}
}

// argStr evaluates f and coerces it to a string for function fn, arg i.
func argStr(env *Env, f evalFn, fn string, i int) (string, Value, error) {
	v, err := f(env)
	if err != nil {
		return "", v, err
	}
	s, err := toStr(v)
	if err != nil {
		return "", v, evalErr(fn, i, err)
	}
	return s, v, nil
}

func argInt(env *Env, f evalFn, fn string, i int) (int64, error) {
	v, err := f(env)
	if err != nil {
		return 0, err
	}
	n, err := toInt(v)
	if err != nil {
		return 0, evalErr(fn, i, err)
	}
	return n, nil
}

func sortStrings(s []string) { slices.Sort(s) }

// checkLen guards every function that builds a string from its inputs.
func checkLen(fn string, n int) error {
	if n > MaxResultLen {
		return &EvalError{Func: fn, Msg: fmt.Sprintf("result longer than %d bytes", MaxResultLen)}
	}
	return nil
}
