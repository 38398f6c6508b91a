package expr

import (
	"fmt"
	"regexp"
	"strings"
)

func init() {
	register(&funcSpec{name: "Replace", min: 2, max: 7, optMask: opt(1, 2, 3, 4, 5, 6), build: buildReplace})
}

// Replace parameters, by position.
const (
	rpSource = iota
	rpOld
	rpPattern
	rpGroup
	rpValue
	rpAttr
	rpTemplate
)

// maxPatternLen bounds regular expressions; RE2 matching is linear, so size
// is the only resource to cap.
const maxPatternLen = 4096

// buildReplace picks one of the documented modes from which parameters are
// written (not omitted), and rejects every other combination at Compile:
//
//	oldValue + replacementValue            replace all oldValue in source
//	oldValue + template                    replace all oldValue in template by source
//	regexPattern + replacementValue        regex replace; $1, ${name}, $$, $& ... as in .NET
//	regexPattern + regexGroupName + replacementValue
//	                                       replace only the named group of each match
//	regexPattern + regexGroupName + replacementAttributeName
//	                                       source if it has a value, else the named
//	                                       group of the first match in the attribute
//
// Patterns use Go's RE2 syntax, which accepts .NET's (?<name>...) groups but
// not look-around or back-references; literal patterns are compiled once
// here. Multi-valued sources are processed element by element; a null source
// stays null. Matching is case-sensitive, as documented.
func buildReplace(b *builder) (evalFn, error) {
	has := func(i int) bool { return b.has(i) }
	switch {
	case has(rpOld) && has(rpPattern):
		return nil, b.errf(0, "give oldValue or regexPattern, not both")
	case has(rpOld):
		if has(rpGroup) || has(rpAttr) {
			return nil, b.errf(0, "regexGroupName and replacementAttributeName need regexPattern, not oldValue")
		}
		if has(rpValue) == has(rpTemplate) {
			return nil, b.errf(0, "with oldValue give exactly one of replacementValue and template")
		}
		if has(rpTemplate) {
			return buildReplaceTemplate(b), nil
		}
		return buildReplacePlain(b), nil
	case has(rpPattern):
		if has(rpTemplate) {
			return nil, b.errf(rpTemplate+1, "template needs oldValue, not regexPattern")
		}
		re, err := b.regex(rpPattern)
		if err != nil {
			return nil, err
		}
		switch {
		case has(rpValue) && has(rpAttr):
			return nil, b.errf(0, "give replacementValue or replacementAttributeName, not both")
		case !has(rpValue) && !has(rpAttr):
			return nil, b.errf(0, "regexPattern needs replacementValue or, with regexGroupName, replacementAttributeName")
		case has(rpAttr) && !has(rpGroup):
			return nil, b.errf(rpAttr+1, "replacementAttributeName needs regexGroupName")
		case has(rpAttr):
			return buildReplaceFallback(b, re)
		case has(rpGroup):
			return buildReplaceGroup(b, re)
		}
		return buildReplaceRegex(b, re)
	}
	return nil, b.errf(0, "needs oldValue or regexPattern")
}

// dynRegex yields the compiled pattern per evaluation: the literal one
// compiled at Compile, or the pattern argument compiled at run time.
type dynRegex func(env *Env) (*regexp.Regexp, error)

func (b *builder) regex(i int) (dynRegex, error) {
	if p, ok := b.args[i].str(); ok {
		re, err := compileRegex(p)
		if err != nil {
			return nil, &CheckError{Pos: b.args[i].n.pos(), Func: b.spec.name, Arg: i + 1, Msg: err.Error(), Err: err}
		}
		return func(*Env) (*regexp.Regexp, error) { return re, nil }, nil
	}
	f := b.fn(i)
	return func(env *Env) (*regexp.Regexp, error) {
		p, _, err := argStr(env, f, "Replace", i+1)
		if err != nil {
			return nil, err
		}
		re, err := compileRegex(p)
		if err != nil {
			return nil, evalErr("Replace", i+1, err)
		}
		return re, nil
	}, nil
}

func compileRegex(p string) (*regexp.Regexp, error) {
	if len(p) > maxPatternLen {
		return nil, fmt.Errorf("regexPattern longer than %d bytes", maxPatternLen)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regexPattern (RE2 syntax; no look-around or back-references): %w", err)
	}
	return re, nil
}

// eachString applies f to a string source or to each element of a
// multi-valued one; null stays null.
func eachString(env *Env, src evalFn, f func(string) (string, error)) (Value, error) {
	v, err := src(env)
	if err != nil || v.kind == KindNull {
		return v, err
	}
	if v.kind == KindMulti {
		out := make([]string, len(v.m))
		for i, e := range v.m {
			if out[i], err = f(e); err != nil {
				return Value{}, err
			}
		}
		return MultiValue(out), nil
	}
	s, err := f(v.String())
	if err != nil {
		return Value{}, err
	}
	return StringValue(s), nil
}

func replaceResult(s string) (string, error) {
	if err := checkLen("Replace", len(s)); err != nil {
		return "", err
	}
	return s, nil
}

func buildReplacePlain(b *builder) evalFn {
	src, old, val := b.fn(rpSource), b.fn(rpOld), b.fn(rpValue)
	return func(env *Env) (Value, error) {
		o, _, err := argStr(env, old, "Replace", rpOld+1)
		if err != nil {
			return Value{}, err
		}
		r, _, err := argStr(env, val, "Replace", rpValue+1)
		if err != nil {
			return Value{}, err
		}
		return eachString(env, src, func(s string) (string, error) {
			if o == "" {
				return s, nil
			}
			return replaceResult(strings.ReplaceAll(s, o, r))
		})
	}
}

func buildReplaceTemplate(b *builder) evalFn {
	src, old, tmpl := b.fn(rpSource), b.fn(rpOld), b.fn(rpTemplate)
	return func(env *Env) (Value, error) {
		o, _, err := argStr(env, old, "Replace", rpOld+1)
		if err != nil {
			return Value{}, err
		}
		t, _, err := argStr(env, tmpl, "Replace", rpTemplate+1)
		if err != nil {
			return Value{}, err
		}
		return eachString(env, src, func(s string) (string, error) {
			if o == "" {
				return t, nil
			}
			return replaceResult(strings.ReplaceAll(t, o, s))
		})
	}
}

func buildReplaceRegex(b *builder, re dynRegex) (evalFn, error) {
	var lit *replTemplate
	if r, ok := b.args[rpValue].str(); ok {
		if _, ok := b.args[rpPattern].str(); ok {
			rx, _ := re(nil) // a literal pattern: compiled above, ignores env
			lit = parseReplTemplate(r, rx)
		}
	}
	src, val := b.fn(rpSource), b.fn(rpValue)
	return func(env *Env) (Value, error) {
		rx, err := re(env)
		if err != nil {
			return Value{}, err
		}
		t := lit
		if t == nil {
			r, _, err := argStr(env, val, "Replace", rpValue+1)
			if err != nil {
				return Value{}, err
			}
			t = parseReplTemplate(r, rx)
		}
		return eachString(env, src, func(s string) (string, error) {
			return replaceResult(t.replaceAll(rx, s))
		})
	}, nil
}

func (b *builder) groupIndex(re dynRegex) (func(env *Env, rx *regexp.Regexp) (int, error), error) {
	if name, ok := b.args[rpGroup].str(); ok {
		if _, patLit := b.args[rpPattern].str(); patLit {
			rx, _ := re(nil)
			if rx.SubexpIndex(name) < 0 {
				return nil, b.errf(rpGroup+1, "regexPattern has no group named %q", name)
			}
		}
	}
	grp := b.fn(rpGroup)
	return func(env *Env, rx *regexp.Regexp) (int, error) {
		name, _, err := argStr(env, grp, "Replace", rpGroup+1)
		if err != nil {
			return 0, err
		}
		i := rx.SubexpIndex(name)
		if i < 0 {
			return 0, &EvalError{Func: "Replace", Arg: rpGroup + 1, Msg: fmt.Sprintf("regexPattern has no group named %q", name)}
		}
		return i, nil
	}, nil
}

// buildReplaceGroup replaces, in every match, just the text of the named
// group by the literal replacementValue.
func buildReplaceGroup(b *builder, re dynRegex) (evalFn, error) {
	group, err := b.groupIndex(re)
	if err != nil {
		return nil, err
	}
	src, val := b.fn(rpSource), b.fn(rpValue)
	return func(env *Env) (Value, error) {
		rx, err := re(env)
		if err != nil {
			return Value{}, err
		}
		gi, err := group(env, rx)
		if err != nil {
			return Value{}, err
		}
		r, _, err := argStr(env, val, "Replace", rpValue+1)
		if err != nil {
			return Value{}, err
		}
		return eachString(env, src, func(s string) (string, error) {
			var sb strings.Builder
			last := 0
			for _, m := range rx.FindAllStringSubmatchIndex(s, -1) {
				if m[2*gi] < 0 {
					continue
				}
				sb.WriteString(s[last:m[2*gi]])
				sb.WriteString(r)
				last = m[2*gi+1]
				if sb.Len() > MaxResultLen {
					break
				}
			}
			sb.WriteString(s[last:])
			return replaceResult(sb.String())
		})
	}, nil
}

// buildReplaceFallback returns source when it has a value, else the named
// group of the first match in replacementAttributeName (an attribute, or a
// string naming one). Without a match the empty source is returned.
func buildReplaceFallback(b *builder, re dynRegex) (evalFn, error) {
	group, err := b.groupIndex(re)
	if err != nil {
		return nil, err
	}
	attr := b.fn(rpAttr)
	if name, ok := b.args[rpAttr].n.(*strNode); ok {
		ac, err := b.c.attribute(&attrNode{p: name.p, name: name.val})
		if err != nil {
			return nil, err
		}
		attr = ac.fn
		b.noFold = true // reads an attribute though every argument is a literal
	}
	src := b.fn(rpSource)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || !v.IsEmpty() {
			return v, err
		}
		rx, err := re(env)
		if err != nil {
			return Value{}, err
		}
		gi, err := group(env, rx)
		if err != nil {
			return Value{}, err
		}
		a, _, err := argStr(env, attr, "Replace", rpAttr+1)
		if err != nil {
			return Value{}, err
		}
		m := rx.FindStringSubmatchIndex(a)
		if m == nil || m[2*gi] < 0 {
			return v, nil
		}
		return StringValue(a[m[2*gi]:m[2*gi+1]]), nil
	}, nil
}
