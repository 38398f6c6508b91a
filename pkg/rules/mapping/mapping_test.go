package mapping_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// fakeCompiler understands three toy expressions, enough to drive the
// mapping layer without depending on the expression engine.
type fakeCompiler struct{}

type fakeProg string

func (fakeCompiler) Compile(src string, known func(string) bool) (mapping.Program, error) {
	switch src {
	case "upper", "ignore", "fail", "multi":
		return fakeProg(src), nil
	}
	return nil, errors.New("syntax error")
}

func (p fakeProg) Eval(a rules.Attrs, _ *mapping.Env) (any, error) {
	switch p {
	case "ignore":
		return nil, mapping.ErrIgnoreFlow
	case "fail":
		return nil, errors.New("division by zero")
	case "multi":
		return []string{"a", "b"}, nil
	}
	v, _ := a.Get("displayname")
	return v, nil
}
func (p fakeProg) Redacted() bool       { return false }
func (p fakeProg) Attributes() []string { return nil }

func opts() mapping.Options {
	return mapping.Options{ObjectType: schema.UserType, Compiler: fakeCompiler{}, SourceTenantID: "src-tenant"}
}

// base is the minimum valid user set: the fixed matching attribute and the
// attributes required on create.
func base(extra ...mapping.Spec) []mapping.Spec {
	return append([]mapping.Spec{
		{Target: "alternativeSecurityIds", Type: mapping.Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 1},
		{Target: "displayName", Type: mapping.Direct, Source: "displayName"},
	}, extra...)
}

func str(s string) *string { return &s }

func TestEvaluatePaths(t *testing.T) {
	t.Parallel()
	src := rules.NewAttrs(map[string]any{
		"netId": "n-1", "displayName": "Ann", "department": "", "accountEnabled": false,
		"employeeHireDate": "2021-03-04T05:06:07Z", "otherMails": []any{"x@y"},
	})
	cases := []struct {
		name  string
		spec  mapping.Spec
		mode  mapping.Mode
		flow  bool
		value any
		skip  string
		code  rules.Code
	}{
		{"direct", mapping.Spec{Target: "jobTitle", Type: mapping.Direct, Source: "displayName"}, mapping.Create, true, "Ann", "", ""},
		{"direct bool false flows", mapping.Spec{Target: "accountEnabled", Type: mapping.Direct, Source: "accountEnabled"}, mapping.Existing, true, false, "", ""},
		{"direct null skipped", mapping.Spec{Target: "department", Type: mapping.Direct, Source: "department"}, mapping.Existing, false, nil, mapping.SkipNull, ""},
		{"default on create", mapping.Spec{Target: "department", Type: mapping.Direct, Source: "department", Default: str("Unknown")}, mapping.Create, true, "Unknown", "", ""},
		{"default not on update", mapping.Spec{Target: "department", Type: mapping.Direct, Source: "department", Default: str("Unknown")}, mapping.Existing, false, nil, mapping.SkipNull, ""},
		{"flow null clears on update", mapping.Spec{Target: "department", Type: mapping.Direct, Source: "department", FlowNullValues: true}, mapping.Existing, true, nil, "", ""},
		{"flow null omitted on create", mapping.Spec{Target: "department", Type: mapping.Direct, Source: "department", FlowNullValues: true}, mapping.Create, false, nil, mapping.SkipNull, ""},
		{"constant bool", mapping.Spec{Target: "showInAddressList", Type: mapping.Constant, Value: "True"}, mapping.Existing, true, true, "", ""},
		{"creation only on create", mapping.Spec{Target: "userType", Type: mapping.Constant, Value: "Member", Apply: mapping.OnlyDuringCreation}, mapping.Create, true, "Member", "", ""},
		{"creation only on existing", mapping.Spec{Target: "userType", Type: mapping.Constant, Value: "Member", Apply: mapping.OnlyDuringCreation}, mapping.Existing, false, nil, mapping.SkipCreationOnly, ""},
		{"none writes default on create", mapping.Spec{Target: "usageLocation", Type: mapping.None, Default: str("US")}, mapping.Create, true, "US", "", ""},
		{"none leaves existing alone", mapping.Spec{Target: "usageLocation", Type: mapping.None, Default: str("US")}, mapping.Existing, false, nil, mapping.SkipNull, ""},
		{"expression", mapping.Spec{Target: "jobTitle", Type: mapping.Expression, Expression: "upper"}, mapping.Create, true, "Ann", "", ""},
		{"expression ignore flow", mapping.Spec{Target: "jobTitle", Type: mapping.Expression, Expression: "ignore"}, mapping.Create, false, nil, mapping.SkipIgnoreFlow, ""},
		{"expression error", mapping.Spec{Target: "jobTitle", Type: mapping.Expression, Expression: "fail"}, mapping.Create, false, nil, "", rules.ExpressionEvaluationFailed},
		{"multi to single", mapping.Spec{Target: "jobTitle", Type: mapping.Expression, Expression: "multi"}, mapping.Create, false, nil, "", rules.SchemaPropertyCanOnlyAcceptValue},
		{"multi to multi", mapping.Spec{Target: "otherMails", Type: mapping.Direct, Source: "otherMails"}, mapping.Create, true, []string{"x@y"}, "", ""},
		{"single to multi", mapping.Spec{Target: "otherMails", Type: mapping.Direct, Source: "displayName"}, mapping.Create, true, []string{"Ann"}, "", ""},
		{"string to datetime", mapping.Spec{Target: "employeeHireDate", Type: mapping.Direct, Source: "employeeHireDate"}, mapping.Create, true, time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), "", ""},
		{"bad bool", mapping.Spec{Target: "accountEnabled", Type: mapping.Direct, Source: "displayName"}, mapping.Create, false, nil, "", rules.InvalidAttributeValue},
		{"reference", mapping.Spec{Target: "manager", Type: mapping.Direct, Source: "displayName"}, mapping.Create, true, mapping.Ref{SourceID: "Ann"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set, errs := mapping.Compile(base(c.spec), opts())
			require.Empty(t, errs)
			var out mapping.Output
			errs = set.Evaluate(src, c.mode, nil, &out)
			r := out.Results[2]
			if c.code != "" {
				require.Len(t, errs, 1)
				require.Equal(t, c.code, errs[0].Code)
				require.False(t, r.Flow)
				return
			}
			require.Empty(t, errs)
			require.Equal(t, c.flow, r.Flow)
			require.Equal(t, c.value, r.Value)
			require.Equal(t, c.skip, r.Skip)
			if r.Flow {
				require.Equal(t, mapping.Hash(r.Value), r.Hash)
			}
		})
	}
}

func TestAltSecID(t *testing.T) {
	t.Parallel()
	set, errs := mapping.Compile(base(), opts())
	require.Empty(t, errs)
	var out mapping.Output
	require.Empty(t, set.Evaluate(rules.NewAttrs(map[string]any{"netId": "n-1", "displayName": "A"}), mapping.Create, nil, &out))
	require.Equal(t, mapping.AltSecID{TenantID: "src-tenant", NetID: "n-1"}, out.Results[0].Value)
	m := set.Matching()
	require.Len(t, m, 1)
	require.Equal(t, "alternativeSecurityIds", m[0].Attr.Name)
	require.Equal(t, "AltSecIdFromNetId([netId])", m[0].Describe())
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	specs := []mapping.Spec{
		{Target: "alternativeSecurityIds", Type: mapping.Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 2},
		{Target: "displayName", Type: mapping.Direct, Source: "displayName"},
		{Target: "nope", Type: mapping.Direct, Source: "displayName"},
		{Target: "mail", Type: mapping.Direct, Source: "nope"},
		{Target: "jobTitle", Type: "Lookup"},
		{Target: "displayName", Type: mapping.Direct, Source: "givenName"},
		{Target: "showInAddressList", Type: mapping.Constant, Value: "maybe"},
		{Target: "city", Type: mapping.Expression, Expression: "bogus("},
		{Target: "state", Type: mapping.Direct, Source: "proxyAddresses"},
		{Target: "surname", Type: mapping.Direct, Source: "surname", Apply: "Sometimes"},
		{Target: "mailNickname", Type: mapping.Direct, Source: "mailNickname", MatchingPrecedence: 2},
		{Target: "objectId", Type: mapping.Direct, Source: "objectId"},
		{Target: "country", Type: mapping.None},
	}
	_, errs := mapping.Compile(specs, opts())
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Path + " " + string(e.Code)
	}
	require.ElementsMatch(t, []string{
		"mappings[0].matchingPrecedence SchemaInvalid",
		"mappings[10].matchingPrecedence SchemaInvalid",
		"mappings[10].matchingPrecedence Duplicate",
		"mappings[12].default Required",
		"mappings[2].target SchemaInvalid",
		"mappings[3].source SchemaAttributeNotFound",
		"mappings[4].type InvalidValue",
		"mappings[5].target Duplicate",
		"mappings[6].value InvalidValue",
		"mappings[7].expression InvalidExpression",
		"mappings[8].source SchemaInvalid",
		"mappings[9].apply InvalidValue",
		"mappings[11].target SchemaInvalid",
	}, got)

	// Missing required attributes, and custom matching allowed on request.
	_, errs = mapping.Compile([]mapping.Spec{{Target: "mail", Type: mapping.Direct, Source: "mail", MatchingPrecedence: 1}}, opts())
	require.Len(t, errs, 3) // matching fixed, alternativeSecurityIds and displayName required
	o := opts()
	o.CustomMatching = true
	set, errs := mapping.Compile(base(mapping.Spec{Target: "mail", Type: mapping.Direct, Source: "mail", MatchingPrecedence: 2}), o)
	require.Empty(t, errs)
	require.Len(t, set.Matching(), 2)
	require.Equal(t, "mail", set.Matching()[1].Attr.Name)

	// No compiler: only the built-in identity expression works.
	o = opts()
	o.Compiler = nil
	_, errs = mapping.Compile(base(mapping.Spec{Target: "city", Type: mapping.Expression, Expression: "upper"}), o)
	require.Len(t, errs, 1)
	require.Equal(t, rules.Unsupported, errs[0].Code)
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	users, errs := mapping.Compile(mapping.DefaultUser(), opts())
	require.Empty(t, errs)
	require.Len(t, users.Mappings(), 25)
	m, ok := users.Lookup("userType")
	require.True(t, ok)
	require.Equal(t, mapping.OnlyDuringCreation, m.Spec.Apply)
	m, ok = users.Lookup("showInAddressList")
	require.True(t, ok)
	require.Equal(t, `"True"`, m.Describe())

	groups, errs := mapping.Compile(mapping.DefaultGroup(), mapping.Options{ObjectType: schema.GroupType})
	require.Empty(t, errs)
	require.Empty(t, groups.Matching())
	var out mapping.Output
	require.Empty(t, groups.Evaluate(rules.NewAttrs(map[string]any{
		"displayName": "Sales", "mailNickname": "sales", "members": []string{"u1", "u2"},
	}), mapping.Create, nil, &out))
	mem, _ := groups.Lookup("members")
	_ = mem
	require.Equal(t, []mapping.Ref{{SourceID: "u1"}, {SourceID: "u2"}}, out.Results[7].Value)
	require.Equal(t, true, out.Results[4].Value)
	require.Equal(t, false, out.Results[5].Value)

	bad := mapping.DefaultGroup()
	bad[4].Value = "False"
	bad = append(bad, mapping.Spec{Target: "description", Type: mapping.Direct, Source: "description", MatchingPrecedence: 1})
	_, errs = mapping.Compile(bad, mapping.Options{ObjectType: schema.GroupType})
	require.Len(t, errs, 3) // securityEnabled constant, duplicate description, group matching
}

func TestHash(t *testing.T) { // not parallel: AllocsPerRun
	vals := []any{nil, "", "1", int64(1), true, false, []string{"a", "b"}, []string{"ab"},
		mapping.Ref{SourceID: "a"}, []mapping.Ref{{SourceID: "a"}}, mapping.AltSecID{TenantID: "a", NetID: "b"},
		time.Unix(1, 0), 1.5}
	seen := map[uint64]any{}
	for _, v := range vals {
		h := mapping.Hash(v)
		prev, dup := seen[h]
		require.False(t, dup, "%#v collides with %#v", v, prev)
		seen[h] = v
		require.Equal(t, h, mapping.Hash(v))
	}
	require.Zero(t, testing.AllocsPerRun(100, func() { mapping.Hash("hello world") }))
}
