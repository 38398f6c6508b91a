package expr

func init() {
	register(
		&funcSpec{name: "Count", min: 1, max: 1, build: buildCount},
		&funcSpec{name: "Item", min: 2, max: 2, build: buildItem},
		&funcSpec{name: "RemoveDuplicates", min: 1, max: 1, build: buildRemoveDuplicates},
		&funcSpec{name: "SingleAppRoleAssignment", min: 1, max: 1, build: buildSingleAppRole},
		&funcSpec{name: "AppRoleAssignmentsComplex", min: 1, max: 1, build: func(b *builder) (evalFn, error) {
			return nil, b.errf(0, "not supported for cross-tenant synchronization: it provisions multiple app roles to SCIM applications, and a B2B user in the target tenant has no app role assignments to flow")
		}},
	)
}

// Count(attribute) is the number of values: 0 for null, 1 for a single
// value.
func buildCount(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		switch {
		case err != nil:
			return Value{}, err
		case v.kind == KindNull:
			return IntValue(0), nil
		case v.kind == KindMulti:
			return IntValue(int64(len(v.m))), nil
		}
		return IntValue(1), nil
	}, nil
}

// Item(attribute, index) returns the index-th value, counting from 1 as the
// reference says; out of range gives null. A literal index below 1 is a
// configuration error.
func buildItem(b *builder) (evalFn, error) {
	if n, ok, err := b.litInt(1); err != nil {
		return nil, err
	} else if ok && n < 1 {
		return nil, b.errf(2, "index counts from 1, got %d", n)
	}
	src, idx := b.fn(0), b.fn(1)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil {
			return Value{}, err
		}
		i, err := argInt(env, idx, "Item", 2)
		if err != nil {
			return Value{}, err
		}
		switch {
		case v.kind == KindNull || i < 1:
			return Value{}, nil
		case v.kind != KindMulti:
			if i == 1 {
				return v, nil
			}
			return Value{}, nil
		case i > int64(len(v.m)):
			return Value{}, nil
		}
		return StringValue(v.m[i-1]), nil
	}, nil
}

// RemoveDuplicates(attribute) keeps the first occurrence of each value,
// comparing ordinally (proxyAddresses "SMTP:" and "smtp:" differ in meaning).
func buildRemoveDuplicates(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || v.kind != KindMulti || len(v.m) < 2 {
			return v, err
		}
		return MultiValue(dedupe(v.m)), nil
	}, nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	if len(in) <= 16 {
	outer:
		for _, s := range in {
			for _, o := range out {
				if o == s {
					continue outer
				}
			}
			out = append(out, s)
		}
		return out
	}
	seen := make(map[string]struct{}, len(in))
	for _, s := range in {
		if _, dup := seen[s]; !dup {
			seen[s] = struct{}{}
			out = append(out, s)
		}
	}
	return out
}

// SingleAppRoleAssignment([appRoleAssignments]) returns one role from the
// assignments. Entra does not support users with several assignments here;
// xtsync deterministically returns the first one.
func buildSingleAppRole(b *builder) (evalFn, error) {
	src := b.fn(0)
	return func(env *Env) (Value, error) {
		v, err := src(env)
		if err != nil || v.kind != KindMulti {
			return v, err
		}
		if len(v.m) == 0 {
			return Value{}, nil
		}
		return StringValue(v.m[0]), nil
	}, nil
}
