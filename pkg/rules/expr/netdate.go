package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// .NET custom date and time format strings, the language of FormatDateTime's
// inputFormat and outputFormat. The culture is en-US (month and day names,
// AM/PM, "/" and ":"), the culture of the M/d/yyyy h:mm:ss tt form Entra
// returns. A one-character format is a .NET standard format (d, D, f, F, g,
// G, M, O, R, s, t, T, u, U, Y).

type dtKind uint8

const (
	dtLit   dtKind = iota
	dtDay          // d dd (number) ddd dddd (name)
	dtMonth        // M MM (number) MMM MMMM (name)
	dtYear         // y yy yyy yyyy ...
	dtHour12
	dtHour24
	dtMinute
	dtSecond
	dtFrac    // f...: exactly n digits
	dtFracOpt // F...: up to n digits
	dtAMPM    // t tt
	dtZone    // z zz zzz
	dtK       // K
	dtEra     // g gg
)

type dtTok struct {
	kind dtKind
	n    int
	lit  string
}

var standardFormats = map[byte]string{
	'd': "M/d/yyyy", 'D': "dddd, MMMM d, yyyy",
	'f': "dddd, MMMM d, yyyy h:mm tt", 'F': "dddd, MMMM d, yyyy h:mm:ss tt",
	'g': "M/d/yyyy h:mm tt", 'G': "M/d/yyyy h:mm:ss tt",
	'm': "MMMM d", 'M': "MMMM d",
	'o': "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", 'O': "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	'r': "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", 'R': "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	's': "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	't': "h:mm tt", 'T': "h:mm:ss tt",
	'u': "yyyy'-'MM'-'dd HH':'mm':'ss'Z'", 'U': "dddd, MMMM d, yyyy h:mm:ss tt",
	'y': "MMMM yyyy", 'Y': "MMMM yyyy",
}

var dtSpecifiers = map[byte]dtKind{'d': dtDay, 'M': dtMonth, 'y': dtYear, 'h': dtHour12, 'H': dtHour24,
	'm': dtMinute, 's': dtSecond, 'f': dtFrac, 'F': dtFracOpt, 't': dtAMPM, 'z': dtZone, 'K': dtK, 'g': dtEra}

// parseDotNetFormat tokenizes a format string.
func parseDotNetFormat(f string) ([]dtTok, error) {
	if f == "" {
		return nil, fmt.Errorf("empty date format")
	}
	if len(f) == 1 {
		std, ok := standardFormats[f[0]]
		if !ok {
			return nil, fmt.Errorf("%q is not a standard date format", f)
		}
		f = std
	}
	var toks []dtTok
	addLit := func(s string) {
		if n := len(toks); n > 0 && toks[n-1].kind == dtLit {
			toks[n-1].lit += s
			return
		}
		toks = append(toks, dtTok{kind: dtLit, lit: s})
	}
	for i := 0; i < len(f); {
		c := f[i]
		run := 1
		for i+run < len(f) && f[i+run] == c {
			run++
		}
		if k, ok := dtSpecifiers[c]; ok {
			if (k == dtFrac || k == dtFracOpt) && run > 7 {
				return nil, fmt.Errorf("too many %c in date format (at most 7)", c)
			}
			toks = append(toks, dtTok{kind: k, n: run})
			i += run
			continue
		}
		switch c {
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in date format")
			}
			addLit(f[i+1 : i+1+end])
			i += end + 2
		case '\\':
			if i+1 == len(f) {
				return nil, fmt.Errorf("date format ends with \\")
			}
			addLit(f[i+1 : i+2])
			i += 2
		case '%':
			// %d: a single custom specifier that would otherwise be standard.
			i++
		default:
			addLit(f[i : i+1])
			i++
		}
	}
	return toks, nil
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// dtParsed is the result of parsing with an inputFormat.
type dtParsed struct {
	ticks     int64 // UTC
	hasOffset bool  // an offset or Z was given: K renders "Z"
}

// parseWithFormat is DateTime.ParseExact: trim is the
// AllowLeading/TrailingWhite style, now supplies the date when the format
// has none.
func parseWithFormat(s string, toks []dtTok, trim bool, now int64) (dtParsed, error) {
	if trim {
		s = strings.TrimSpace(s)
	}
	p := dscan{s: s}
	y, mo, d := -1, -1, -1
	h, mi, sec, frac, offset := 0, 0, 0, 0, 0
	ampm, hasOff := -1, false
	fail := func(what string) (dtParsed, error) {
		return dtParsed{}, fmt.Errorf("%q does not match the date format at position %d: expected %s", clip(s), p.i, what)
	}
	var ok bool
	for _, t := range toks {
		switch t.kind {
		case dtLit:
			for j := 0; j < len(t.lit); j++ {
				if !p.lit(t.lit[j]) {
					return fail(strconv.Quote(t.lit))
				}
			}
		case dtDay:
			if t.n >= 3 {
				if _, ok = p.name(dayNames[:], t.n == 3); !ok {
					return fail("day name")
				}
				continue
			}
			if d, ok = p.num(t.n, 2); !ok {
				return fail("day")
			}
		case dtMonth:
			if t.n >= 3 {
				if mo, ok = p.name(monthNames[:], t.n == 3); !ok {
					return fail("month name")
				}
				mo++
				continue
			}
			if mo, ok = p.num(t.n, 2); !ok {
				return fail("month")
			}
		case dtYear:
			lo, hi := t.n, t.n
			if t.n == 1 {
				hi = 2
			} else if t.n == 3 {
				hi = 4
			}
			if y, ok = p.num(lo, hi); !ok {
				return fail("year")
			}
			if t.n <= 2 {
				// .NET's TwoDigitYearMax is 2049.
				if y < 50 {
					y += 2000
				} else {
					y += 1900
				}
			}
		case dtHour12, dtHour24:
			if h, ok = p.num(min(t.n, 2), 2); !ok {
				return fail("hour")
			}
		case dtMinute:
			if mi, ok = p.num(min(t.n, 2), 2); !ok {
				return fail("minute")
			}
		case dtSecond:
			if sec, ok = p.num(min(t.n, 2), 2); !ok {
				return fail("second")
			}
		case dtFrac, dtFracOpt:
			lo := t.n
			if t.kind == dtFracOpt {
				lo = 0
			}
			if frac, ok = p.fraction(lo, t.n); !ok {
				return fail("fraction of a second")
			}
		case dtAMPM:
			switch {
			case t.n >= 2 && p.word("AM"), t.n == 1 && p.word("A"):
				ampm = 0
			case t.n >= 2 && p.word("PM"), t.n == 1 && p.word("P"):
				ampm = 1
			default:
				return fail("AM or PM")
			}
		case dtZone, dtK:
			if t.kind == dtK && !p.peek('Z') && !p.peek('+') && !p.peek('-') {
				continue
			}
			if offset, ok = p.zone(); !ok {
				return fail("time zone offset")
			}
			hasOff = true
		case dtEra:
			if !p.word("A.D.") && !p.word("AD") {
				return fail("era")
			}
		}
	}
	if p.i != len(p.s) {
		return fail("end of input")
	}
	if ampm >= 0 {
		if h < 1 || h > 12 {
			return dtParsed{}, fmt.Errorf("hour %d is not valid with AM/PM", h)
		}
		h = h%12 + 12*ampm
	}
	if y < 0 && mo < 0 && d < 0 {
		t := timeOfTicks(now)
		y, mo, d = t.Year(), int(t.Month()), t.Day()
	}
	if y < 0 {
		y = timeOfTicks(now).Year()
	}
	if mo < 0 {
		mo = 1
	}
	if d < 0 {
		d = 1
	}
	n, err := composeTicks(y, mo, d, h, mi, sec, frac, offset)
	return dtParsed{ticks: n, hasOffset: hasOff}, err
}

// name matches a month or day name (abbreviated to 3 letters if abbr),
// case-insensitively, and returns its index.
func (p *dscan) name(names []string, abbr bool) (int, bool) {
	for i, n := range names {
		if abbr {
			n = n[:3]
		}
		if p.word(n) {
			return i, true
		}
	}
	return 0, false
}

// formatWithFormat is DateTime.ToString(format) for a UTC instant.
func formatWithFormat(v dtParsed, toks []dtTok) string {
	t := timeOfTicks(v.ticks)
	frac := int(v.ticks % ticksPerSecond)
	var sb strings.Builder
	pad := func(n, w int) {
		s := strconv.Itoa(n)
		for i := len(s); i < w; i++ {
			sb.WriteByte('0')
		}
		sb.WriteString(s)
	}
	for _, k := range toks {
		switch k.kind {
		case dtLit:
			sb.WriteString(k.lit)
		case dtDay:
			switch k.n {
			case 1, 2:
				pad(t.Day(), k.n)
			case 3:
				sb.WriteString(dayNames[t.Weekday()][:3])
			default:
				sb.WriteString(dayNames[t.Weekday()])
			}
		case dtMonth:
			switch k.n {
			case 1, 2:
				pad(int(t.Month()), k.n)
			case 3:
				sb.WriteString(monthNames[t.Month()-1][:3])
			default:
				sb.WriteString(monthNames[t.Month()-1])
			}
		case dtYear:
			if k.n <= 2 {
				pad(t.Year()%100, k.n)
			} else {
				pad(t.Year(), k.n)
			}
		case dtHour12:
			pad((t.Hour()+11)%12+1, min(k.n, 2))
		case dtHour24:
			pad(t.Hour(), min(k.n, 2))
		case dtMinute:
			pad(t.Minute(), min(k.n, 2))
		case dtSecond:
			pad(t.Second(), min(k.n, 2))
		case dtFrac, dtFracOpt:
			digits := fmt.Sprintf("%07d", frac)[:k.n]
			if k.kind == dtFracOpt {
				digits = strings.TrimRight(digits, "0")
			}
			sb.WriteString(digits)
		case dtAMPM:
			ap := "AM"
			if t.Hour() >= 12 {
				ap = "PM"
			}
			sb.WriteString(ap[:min(k.n, 2)])
		case dtZone:
			// Entra's servers run in UTC, so local offsets are zero.
			sb.WriteString([...]string{"+0", "+00", "+00:00"}[min(k.n, 3)-1])
		case dtK:
			if v.hasOffset {
				sb.WriteByte('Z')
			}
		case dtEra:
			sb.WriteString("A.D.")
		}
	}
	return sb.String()
}

func nowTicks(env *Env) int64 {
	if env.Now != nil {
		return ticksOf(env.Now())
	}
	return ticksOf(time.Now())
}
