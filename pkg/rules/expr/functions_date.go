package expr

import (
	"fmt"
	"math"
	"strings"
	"time"
)

func init() {
	register(
		&funcSpec{name: "CDate", min: 1, max: 1, build: buildCDate},
		&funcSpec{name: "Now", min: 0, max: 0, impure: true, build: func(*builder) (evalFn, error) {
			return func(env *Env) (Value, error) { return Value{kind: KindDateTime, n: nowTicks(env)}, nil }, nil
		}},
		&funcSpec{name: "DateAdd", min: 3, max: 3, build: buildDateAdd},
		&funcSpec{name: "DateDiff", min: 3, max: 3, build: buildDateDiff},
		&funcSpec{name: "DateFromNum", min: 1, max: 1, build: buildDateFromNum},
		&funcSpec{name: "NumFromDate", min: 1, max: 1, build: buildNumFromDate},
		&funcSpec{name: "FormatDateTime", min: 4, max: 4, optMask: opt(1), impure: true, build: buildFormatDateTime},
	)
}

// dateArg evaluates a date parameter: a date value or a string in a form
// CDate accepts. ok is false for null, which date functions pass through.
func dateArg(env *Env, f evalFn, fn string, i int) (ticks int64, ok bool, err error) {
	v, err := f(env)
	if err != nil || v.IsEmpty() {
		return 0, false, err
	}
	n, err := toTicks(v)
	if err != nil {
		return 0, false, evalErr(fn, i, err)
	}
	return n, true, nil
}

// CDate(expression) parses a date string (see parseLooseDate) into a UTC
// date, rendered "M/d/yyyy h:mm:ss tt". Null stays null.
func buildCDate(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		n, ok, err := dateArg(env, src, "CDate", 1)
		if !ok {
			return Value{}, err
		}
		return Value{kind: KindDateTime, n: n}, nil
	}, nil
}

// intervals of DateAdd and DateDiff: the reference lists yyyy m d ww h n s;
// VBA's q (quarter), y (day of year) and w (weekday) are accepted too.
var intervals = map[string]bool{"yyyy": true, "q": true, "m": true, "y": true, "d": true, "w": true, "ww": true, "h": true, "n": true, "s": true}

func (b *builder) interval() (func(env *Env) (string, error), error) {
	if s, ok := b.args[0].str(); ok {
		s = strings.ToLower(s)
		if !intervals[s] {
			return nil, b.errf(1, "interval %q is not one of yyyy, q, m, y, d, w, ww, h, n, s", s)
		}
		return func(*Env) (string, error) { return s, nil }, nil
	}
	f, name := b.fn(0), b.spec.name
	return func(env *Env) (string, error) {
		s, _, err := argStr(env, f, name, 1)
		if err != nil {
			return "", err
		}
		s = strings.ToLower(s)
		if !intervals[s] {
			return "", &EvalError{Func: name, Arg: 1, Msg: fmt.Sprintf("interval %q is not one of yyyy, q, m, y, d, w, ww, h, n, s", clip(s))}
		}
		return s, nil
	}, nil
}

// DateAdd(interval, value, dateTime) adds value intervals like .NET: months
// and years clamp the day to the month's end (Jan 31 + 1 m = Feb 28/29).
// Null dateTime stays null.
func buildDateAdd(b *builder) (evalFn, error) {
	iv, err := b.interval()
	if err != nil {
		return nil, err
	}
	if _, _, err := b.litInt(1); err != nil {
		return nil, err
	}
	num, date := b.fn(1), b.fn(2)
	return func(env *Env) (Value, error) {
		unit, err := iv(env)
		if err != nil {
			return Value{}, err
		}
		n, err := argInt(env, num, "DateAdd", 2)
		if err != nil {
			return Value{}, err
		}
		t, ok, err := dateArg(env, date, "DateAdd", 3)
		if !ok {
			return Value{}, err
		}
		r, err := dateAdd(unit, n, t)
		if err != nil {
			return Value{}, &EvalError{Func: "DateAdd", Msg: err.Error(), Err: err}
		}
		return Value{kind: KindDateTime, n: r}, nil
	}, nil
}

func dateAdd(unit string, n, ticks int64) (int64, error) {
	errRange := fmt.Errorf("result is outside years 1 to 9999")
	if n > 10_000*366*24*3600 || n < -10_000*366*24*3600 {
		return 0, errRange
	}
	var r int64
	switch unit {
	case "yyyy":
		r = addMonths(ticks, n*12)
	case "q":
		r = addMonths(ticks, n*3)
	case "m":
		r = addMonths(ticks, n)
	case "y", "d", "w":
		r = ticks + n*ticksPerDay
	case "ww":
		r = ticks + 7*n*ticksPerDay
	case "h":
		r = ticks + n*ticksPerHour
	case "n":
		r = ticks + n*ticksPerMinute
	case "s":
		r = ticks + n*ticksPerSecond
	}
	if !validTicks(r) {
		return 0, errRange
	}
	return r, nil
}

func addMonths(ticks, months int64) int64 {
	if months > 12*10_000 || months < -12*10_000 {
		return -1
	}
	t := timeOfTicks(ticks)
	total := int64(t.Year())*12 + int64(t.Month()) - 1 + months
	y, m := int(total/12), time.Month(total%12+1)
	if total < 0 || y < 1 || y > 9999 {
		return -1
	}
	d := min(t.Day(), daysIn(y, m))
	tod := ticks % ticksPerDay
	return ticksOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) + tod
}

// DateDiff(interval, date1, date2) follows VBA/.NET
// Microsoft.VisualBasic.DateAndTime.DateDiff: elapsed time truncated toward
// zero for d, h, n, s (and w = days/7); calendar boundaries for yyyy, q, m;
// and for ww the number of Sundays crossed. Positive when date2 is later.
func buildDateDiff(b *builder) (evalFn, error) {
	iv, err := b.interval()
	if err != nil {
		return nil, err
	}
	d1, d2 := b.fn(1), b.fn(2)
	return func(env *Env) (Value, error) {
		unit, err := iv(env)
		if err != nil {
			return Value{}, err
		}
		a, ok, err := dateArg(env, d1, "DateDiff", 2)
		if !ok {
			return Value{}, err
		}
		c, ok, err := dateArg(env, d2, "DateDiff", 3)
		if !ok {
			return Value{}, err
		}
		return IntValue(dateDiff(unit, a, c)), nil
	}, nil
}

func dateDiff(unit string, a, b int64) int64 {
	d := b - a
	ta, tb := timeOfTicks(a), timeOfTicks(b)
	switch unit {
	case "yyyy":
		return int64(tb.Year() - ta.Year())
	case "q":
		return int64((tb.Year()-ta.Year())*4 + (int(tb.Month())-1)/3 - (int(ta.Month())-1)/3)
	case "m":
		return int64((tb.Year()-ta.Year())*12 + int(tb.Month()) - int(ta.Month()))
	case "y", "d":
		return d / ticksPerDay
	case "w":
		return d / (7 * ticksPerDay)
	case "ww":
		sa := a/ticksPerDay - int64(ta.Weekday())
		sb := b/ticksPerDay - int64(tb.Weekday())
		return (sb - sa) / 7
	case "h":
		return d / ticksPerHour
	case "n":
		return d / ticksPerMinute
	}
	return d / ticksPerSecond
}

// DateFromNum(value) converts an AD FILETIME (100 ns since 1601-01-01 UTC,
// e.g. lastLogonTimestamp) to a date. 0 and 0x7FFFFFFFFFFFFFFF, AD's
// "never", give null.
func buildDateFromNum(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || v.IsEmpty() {
			return Value{}, err
		}
		n, err := toInt(v)
		if err != nil {
			return Value{}, evalErr("DateFromNum", 1, err)
		}
		if n == 0 || n == math.MaxInt64 {
			return Value{}, nil
		}
		if n < 0 || n > maxTicks-fileTimeEpoch {
			return Value{}, &EvalError{Func: "DateFromNum", Arg: 1, Msg: fmt.Sprintf("%d is not a valid AD date", n)}
		}
		return Value{kind: KindDateTime, n: n + fileTimeEpoch}, nil
	}, nil
}

// NumFromDate(value) converts an ISO 8601 date string (or a date) to the AD
// FILETIME integer used by accountExpires. Null stays null.
func buildNumFromDate(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		n, ok, err := dateArg(env, src, "NumFromDate", 1)
		if !ok {
			return Value{}, err
		}
		if n < fileTimeEpoch {
			return Value{}, &EvalError{Func: "NumFromDate", Arg: 1, Msg: "dates before 1601 have no AD representation"}
		}
		return IntValue(n - fileTimeEpoch), nil
	}, nil
}
