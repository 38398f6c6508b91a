package expr

import (
	"fmt"
	"strings"
	"time"
)

// parseLooseDate is what CDate (and every date parameter given a string)
// accepts: the forms the reference's examples use, in UTC ticks.
//
//	2009-06-15T01:45:30-07:00   ISO 8601, "T" or " " before the time,
//	2009-06-15 01:45:30.5Z      optional seconds and fraction,
//	2012-03-16-07:00            a date with only an offset (Workday),
//	2021-08-24                  a plain date,
//	8/25/2021 5:41:18 PM        the M/d/yyyy h:mm:ss tt form Entra returns,
//	8/25/2021 17:41             with optional seconds, 24-hour clock or date only.
//
// Without an offset the value is taken as UTC, as Entra's servers run in UTC.
func parseLooseDate(s string) (int64, error) {
	p := dscan{s: strings.TrimSpace(s)}
	var y, mo, d, h, mi, sec, frac int
	if p.s == "" {
		return 0, fmt.Errorf("empty string is not a date")
	}
	ok := false
	if y, ok = p.num(4, 4); ok && p.lit('-') {
		mo, ok = p.num(1, 2)
		ok = ok && p.lit('-')
		if ok {
			d, ok = p.num(1, 2)
		}
		if ok && (p.lit('T') || p.lit('t') || (p.peek(' ') && p.peekDigitAt(1))) {
			if p.peek(' ') {
				p.i++
			}
			h, mi, sec, frac, ok = p.clock()
		}
	} else {
		p.i = 0
		mo, ok = p.num(1, 2)
		ok = ok && p.lit('/')
		if ok {
			d, ok = p.num(1, 2)
		}
		ok = ok && p.lit('/')
		if ok {
			y, ok = p.num(4, 4)
		}
		if ok && p.peek(' ') && p.peekDigitAt(1) {
			p.i++
			h, mi, sec, frac, ok = p.clock()
			if ok {
				p.spaces()
				switch {
				case p.word("AM"):
					if h < 1 || h > 12 {
						ok = false
					} else if h == 12 {
						h = 0
					}
				case p.word("PM"):
					if h < 1 || h > 12 {
						ok = false
					} else if h != 12 {
						h += 12
					}
				}
			}
		}
	}
	offset := 0
	if ok {
		p.spaces()
		offset, ok = p.zone()
		p.spaces()
		ok = ok && p.i == len(p.s)
	}
	if !ok {
		return 0, fmt.Errorf("%q is not a recognised date (use ISO 8601 such as 2021-06-30T08:00:00Z, or M/d/yyyy h:mm:ss tt)", clip(s))
	}
	return composeTicks(y, mo, d, h, mi, sec, frac, offset)
}

// composeTicks validates the fields and returns UTC ticks; frac is in ticks
// (100 ns) and offset in seconds east of UTC.
func composeTicks(y, mo, d, h, mi, sec, frac, offset int) (int64, error) {
	if y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) ||
		h > 23 || mi > 59 || sec > 59 {
		return 0, fmt.Errorf("date %04d-%02d-%02d %02d:%02d:%02d is out of range", y, mo, d, h, mi, sec)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	n := ticksOf(t) + int64(frac) - int64(offset)*ticksPerSecond
	if !validTicks(n) {
		return 0, fmt.Errorf("date is out of range")
	}
	return n, nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dscan is a tiny cursor for hand-written date parsing; it avoids the
// allocations of trying many time.Parse layouts for every object.
type dscan struct {
	s string
	i int
}

func (p *dscan) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *dscan) peekDigitAt(k int) bool { return p.i+k < len(p.s) && isDigit(p.s[p.i+k]) }

func (p *dscan) lit(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *dscan) spaces() {
	for p.peek(' ') {
		p.i++
	}
}

// word matches an ASCII word case-insensitively.
func (p *dscan) word(w string) bool {
	if len(p.s)-p.i >= len(w) && strings.EqualFold(p.s[p.i:p.i+len(w)], w) {
		p.i += len(w)
		return true
	}
	return false
}

// num reads between lo and hi decimal digits.
func (p *dscan) num(lo, hi int) (int, bool) {
	n, k := 0, 0
	for k < hi && p.i < len(p.s) && isDigit(p.s[p.i]) {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
		k++
	}
	return n, k >= lo
}

// fraction reads up to 7 digits after a decimal point as ticks; further
// digits are read and ignored.
func (p *dscan) fraction(lo, hi int) (int, bool) {
	start := p.i
	n, ok := p.num(lo, hi)
	k := p.i - start
	for ; k < 7; k++ {
		n *= 10
	}
	for ; k > 7; k-- {
		n /= 10
	}
	return n, ok
}

// clock reads h:mm[:ss[.fffffff]].
func (p *dscan) clock() (h, mi, sec, frac int, ok bool) {
	if h, ok = p.num(1, 2); !ok || !p.lit(':') {
		return 0, 0, 0, 0, false
	}
	if mi, ok = p.num(2, 2); !ok {
		return 0, 0, 0, 0, false
	}
	if p.lit(':') {
		if sec, ok = p.num(2, 2); !ok {
			return 0, 0, 0, 0, false
		}
		if p.lit('.') || p.lit(',') {
			if frac, ok = p.fraction(1, 9); !ok {
				return 0, 0, 0, 0, false
			}
		}
	}
	return h, mi, sec, frac, true
}

// zone reads an optional Z or ±hh[:mm] / ±hhmm and returns seconds east.
func (p *dscan) zone() (int, bool) {
	if p.lit('Z') || p.lit('z') {
		return 0, true
	}
	sign := 1
	switch {
	case p.lit('+'):
	case p.lit('-'):
		sign = -1
	default:
		return 0, true
	}
	hh, ok := p.num(2, 2)
	if !ok || hh > 14 {
		return 0, false
	}
	mm := 0
	colon := p.lit(':')
	if colon || p.peekDigitAt(0) {
		if mm, ok = p.num(2, 2); !ok || mm > 59 {
			return 0, false
		}
	}
	return sign * (hh*3600 + mm*60), true
}
