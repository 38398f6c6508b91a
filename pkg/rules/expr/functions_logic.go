package expr

func init() {
	register(
		&funcSpec{name: "IIF", min: 3, max: 3, build: buildIIF},
		&funcSpec{name: "Switch", min: 4, max: -1, optMask: opt(1), build: buildSwitch},
		&funcSpec{name: "Not", min: 1, max: 1, build: buildNot},
		&funcSpec{name: "CBool", min: 1, max: 1, build: buildCBool},
		&funcSpec{name: "Coalesce", min: 1, max: -1, optRest: true, optMask: ^uint64(1), build: buildCoalesce},
		&funcSpec{name: "IsNull", min: 1, max: 1, build: predicate(func(v Value) bool { return v.kind == KindNull || (v.kind == KindMulti && len(v.m) == 0) })},
		&funcSpec{name: "IsNullOrEmpty", min: 1, max: 1, build: predicate(Value.IsEmpty)},
		&funcSpec{name: "IsPresent", min: 1, max: 1, build: predicate(func(v Value) bool { return !v.IsEmpty() })},
		&funcSpec{name: "IsString", min: 1, max: 1, build: predicate(func(v Value) bool { return v.kind == KindString })},
		&funcSpec{name: "IgnoreFlowIfNullOrEmpty", min: 1, max: 1, build: buildIgnoreFlow},
		&funcSpec{name: "BitAnd", min: 2, max: 2, build: buildBitAnd},
	)
}

// IIF(condition, valueIfTrue, valueIfFalse) evaluates only the chosen
// branch, so an error or IgnoreFlowIfNullOrEmpty in the other one has no
// effect. The condition is a boolean, "True"/"False" or a number.
func buildIIF(b *builder) (evalFn, error) {
	if c := b.args[0].lit; c != nil {
		if _, err := toBool(*c); err != nil {
			return nil, b.errf(1, "%v", err)
		}
	}
	cond, yes, no := b.fn(0), b.fn(1), b.fn(2)
	return func(env *Env) (Value, error) {
		v, err := cond(env)
		if err != nil {
			return Value{}, err
		}
		ok, err := toBool(v)
		if err != nil {
			return Value{}, evalErr("IIF", 1, err)
		}
		if ok {
			return yes(env)
		}
		return no(env)
	}, nil
}

// Switch(source, defaultValue, key1, value1, ...) compares the source string
// with each key, ordinally and case-sensitively, and evaluates only the
// matching value. A null source matches the key "" (the reference's
// recommended null check). An omitted default yields null.
func buildSwitch(b *builder) (evalFn, error) {
	if len(b.args)%2 != 0 {
		return nil, b.errf(0, "takes source, default and key/value pairs (an even number of arguments), got %d", len(b.args))
	}
	src, def := b.fn(0), b.fn(1)
	type pair struct {
		key   evalFn
		lit   string
		isLit bool
		val   evalFn
	}
	pairs := make([]pair, 0, (len(b.args)-2)/2)
	for i := 2; i < len(b.args); i += 2 {
		p := pair{key: b.fn(i), val: b.fn(i + 1)}
		if a := b.args[i]; a.lit != nil {
			s, err := toStr(*a.lit)
			if err != nil {
				return nil, b.errf(i+1, "%v", err)
			}
			p.lit, p.isLit = s, true
		}
		pairs = append(pairs, p)
	}
	return func(env *Env) (Value, error) {
		s, _, err := argStr(env, src, "Switch", 1)
		if err != nil {
			return Value{}, err
		}
		for i, p := range pairs {
			k := p.lit
			if !p.isLit {
				if k, _, err = argStr(env, p.key, "Switch", 3+2*i); err != nil {
					return Value{}, err
				}
			}
			if k == s {
				return p.val(env)
			}
		}
		return def(env)
	}, nil
}

// Not(source) returns False when source is True (boolean or "True" in any
// case) and True otherwise, as documented.
func buildNot(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil {
			return Value{}, err
		}
		t, err := toBool(v)
		return BoolValue(err != nil || !t), nil
	}, nil
}

// CBool(expression) is True for true booleans, "True", and non-zero numbers;
// False for false, "False", 0, null and ""; other strings are an error.
func buildCBool(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil {
			return Value{}, err
		}
		t, err := toBool(v)
		if err != nil {
			return Value{}, evalErr("CBool", 1, err)
		}
		return BoolValue(t), nil
	}, nil
}

// Coalesce(source1, ..., defaultValue) returns the first argument that is
// not null (an empty multi-value counts as null; "" does not), evaluating
// lazily. All null gives null.
func buildCoalesce(b *builder) (evalFn, error) {
	srcs := b.fns(0)
	return func(env *Env) (Value, error) {
		for _, f := range srcs {
			v, err := f(env)
			if err != nil {
				return Value{}, err
			}
			if v.kind != KindNull && (v.kind != KindMulti || len(v.m) > 0) {
				return v, nil
			}
		}
		return Value{}, nil
	}, nil
}

func predicate(p func(Value) bool) func(*builder) (evalFn, error) {
	return func(b *builder) (evalFn, error) {
		src := b.fn(0)
		return func(env *Env) (Value, error) {
			v, err := src(env)
			if err != nil {
				return Value{}, err
			}
			return BoolValue(p(v)), nil
		}, nil
	}
}

// IgnoreFlowIfNullOrEmpty returns its argument, or an EvalError wrapping
// ErrIgnoreFlow when it is null or empty: the caller drops the attribute.
func buildIgnoreFlow(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil {
			return Value{}, err
		}
		if v.IsEmpty() {
			return Value{}, &EvalError{Func: "IgnoreFlowIfNullOrEmpty", Err: ErrIgnoreFlow}
		}
		return v, nil
	}, nil
}

// BitAnd(value1, value2) is the bitwise AND of two integers (or integer
// strings, or &H hex literals).
func buildBitAnd(b *builder) (evalFn, error) {
	for i := range 2 {
		if _, _, err := b.litInt(i); err != nil {
			return nil, err
		}
	}
	x, y := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		a, err := argInt(env, x, "BitAnd", 1)
		if err != nil {
			return Value{}, err
		}
		c, err := argInt(env, y, "BitAnd", 2)
		if err != nil {
			return Value{}, err
		}
		return IntValue(a & c), nil
	}, nil
}
