package expr

import (
	"regexp"
	"strconv"
	"strings"
)

// replTemplate is a parsed .NET regex replacement string. .NET and Go differ
// ($name without braces, $ before an unknown group), so the reference's
// "${phoneNumber}" style is interpreted as .NET does: $n and ${name} for
// existing groups, $$, $&, $`, $', $+ and $_; anything else is literal.
type replTemplate struct {
	parts []replPart
}

type replPart struct {
	lit   string
	group int // >= 0: group index; special values below
}

const (
	rpLiteral = -1
	rpBefore  = -2 // $`
	rpAfter   = -3 // $'
	rpLast    = -4 // $+
	rpInput   = -5 // $_
)

func parseReplTemplate(s string, re *regexp.Regexp) *replTemplate {
	t := &replTemplate{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, replPart{lit: lit.String(), group: rpLiteral})
			lit.Reset()
		}
	}
	emit := func(g int) {
		flush()
		t.parts = append(t.parts, replPart{group: g})
	}
	n := re.NumSubexp()
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			lit.WriteByte(s[i])
			continue
		}
		c := s[i+1]
		switch {
		case c == '$':
			lit.WriteByte('$')
			i++
		case c == '&':
			emit(0)
			i++
		case c == '`':
			emit(rpBefore)
			i++
		case c == '\'':
			emit(rpAfter)
			i++
		case c == '+':
			emit(rpLast)
			i++
		case c == '_':
			emit(rpInput)
			i++
		case c == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte('$')
				continue
			}
			name := s[i+2 : i+2+end]
			g := re.SubexpIndex(name)
			if num, err := strconv.Atoi(name); err == nil && num >= 0 && num <= n {
				g = num
			}
			if g < 0 {
				lit.WriteByte('$')
				continue
			}
			emit(g)
			i += 2 + end
		case isDigit(c):
			// Longest run of digits that still names an existing group.
			g, j := -1, i+1
			for k := i + 1; k < len(s) && isDigit(s[k]); k++ {
				v, err := strconv.Atoi(s[i+1 : k+1])
				if err != nil || v > n {
					break
				}
				g, j = v, k
			}
			if g < 0 {
				lit.WriteByte('$')
				continue
			}
			emit(g)
			i = j
		default:
			lit.WriteByte('$')
		}
	}
	flush()
	return t
}

// replaceAll is regexp.ReplaceAllString with .NET substitution semantics.
func (t *replTemplate) replaceAll(re *regexp.Regexp, s string) string {
	ms := re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var sb strings.Builder
	last := 0
	for _, m := range ms {
		sb.WriteString(s[last:m[0]])
		for _, p := range t.parts {
			switch g := p.group; {
			case g == rpLiteral:
				sb.WriteString(p.lit)
			case g == rpBefore:
				sb.WriteString(s[:m[0]])
			case g == rpAfter:
				sb.WriteString(s[m[1]:])
			case g == rpInput:
				sb.WriteString(s)
			case g == rpLast:
				if k := len(m)/2 - 1; m[2*k] >= 0 {
					sb.WriteString(s[m[2*k]:m[2*k+1]])
				}
			case m[2*g] >= 0:
				sb.WriteString(s[m[2*g]:m[2*g+1]])
			}
		}
		last = m[1]
		if sb.Len() > MaxResultLen {
			break
		}
	}
	sb.WriteString(s[last:])
	return sb.String()
}
