package expr

import (
	"fmt"
	"strings"
)

// dateTimeStyles are the System.Globalization.DateTimeStyles names
// FormatDateTime accepts. Entra's servers run in UTC, so the local/universal
// styles change nothing; the white-space ones decide whether the source is
// trimmed.
var dateTimeStyles = map[string]bool{ // name -> allows surrounding white space
	"none": false, "allowleadingwhite": true, "allowtrailingwhite": true,
	"allowinnerwhite": false, "allowwhitespaces": true, "nocurrentdatedefault": false,
	"adjusttouniversal": false, "assumelocal": false, "assumeuniversal": false,
	"roundtripkind": false,
}

// parseStyles returns whether white space around the source is allowed. An
// empty value is the documented default (RoundtripKind, AllowLeadingWhite,
// AllowTrailingWhite).
func parseStyles(s string) (trim bool, err error) {
	if strings.TrimSpace(s) == "" {
		return true, nil
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' || r == ' ' }) {
		name := strings.ToLower(strings.TrimPrefix(part, "DateTimeStyles."))
		allow, ok := dateTimeStyles[name]
		if !ok {
			return false, fmt.Errorf("unknown DateTimeStyles value %q", clip(part))
		}
		trim = trim || allow
	}
	return trim, nil
}

// FormatDateTime(source, dateTimeStyles, inputFormat, outputFormat) parses
// source with the .NET custom (or standard) inputFormat and renders it with
// outputFormat. A source with an offset is converted to UTC first, as on
// Entra's UTC servers; a source that is already a date (CDate, Now) skips
// parsing. Null stays null. Literal formats and styles are checked at
// Compile.
func buildFormatDateTime(b *builder) (evalFn, error) {
	type fmtArg func(env *Env) ([]dtTok, error)
	format := func(i int) (fmtArg, error) {
		if s, ok := b.args[i].str(); ok {
			toks, err := parseDotNetFormat(s)
			if err != nil {
				return nil, b.errf(i+1, "%v", err)
			}
			return func(*Env) ([]dtTok, error) { return toks, nil }, nil
		}
		f := b.fn(i)
		return func(env *Env) ([]dtTok, error) {
			s, _, err := argStr(env, f, "FormatDateTime", i+1)
			if err != nil {
				return nil, err
			}
			toks, err := parseDotNetFormat(s)
			if err != nil {
				return nil, evalErr("FormatDateTime", i+1, err)
			}
			return toks, nil
		}, nil
	}
	in, err := format(2)
	if err != nil {
		return nil, err
	}
	out, err := format(3)
	if err != nil {
		return nil, err
	}
	trimLit, stylesLit := true, !b.has(1)
	if s, ok := b.args[1].str(); ok {
		if trimLit, err = parseStyles(s); err != nil {
			return nil, b.errf(2, "%v", err)
		}
		stylesLit = true
	}
	src, styles := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || v.IsEmpty() {
			return Value{}, err
		}
		var p dtParsed
		if v.kind == KindDateTime {
			p = dtParsed{ticks: v.n, hasOffset: true}
		} else {
			s, err := toStr(v)
			if err != nil {
				return Value{}, evalErr("FormatDateTime", 1, err)
			}
			trim := trimLit
			if !stylesLit {
				st, _, err := argStr(env, styles, "FormatDateTime", 2)
				if err != nil {
					return Value{}, err
				}
				if trim, err = parseStyles(st); err != nil {
					return Value{}, evalErr("FormatDateTime", 2, err)
				}
			}
			toks, err := in(env)
			if err != nil {
				return Value{}, err
			}
			if p, err = parseWithFormat(s, toks, trim, nowTicks(env)); err != nil {
				return Value{}, evalErr("FormatDateTime", 1, err)
			}
		}
		toks, err := out(env)
		if err != nil {
			return Value{}, err
		}
		return StringValue(formatWithFormat(p, toks)), nil
	}, nil
}
