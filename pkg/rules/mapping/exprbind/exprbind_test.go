package exprbind_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/mapping/exprbind"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

func TestExpressionMapping(t *testing.T) {
	t.Parallel()
	set, errs := mapping.Compile([]mapping.Spec{
		{Target: "alternativeSecurityIds", Type: mapping.Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 1},
		{Target: "displayName", Type: mapping.Expression, Expression: `Join(" ", [givenName], [surname])`},
		{Target: "jobTitle", Type: mapping.Expression, Expression: `IgnoreFlowIfNullOrEmpty([jobTitle])`},
	}, mapping.Options{ObjectType: schema.UserType, Compiler: exprbind.Compiler{}, SourceTenantID: "t1"})
	require.Empty(t, errs)
	var out mapping.Output
	errs = set.Evaluate(rules.NewAttrs(map[string]any{"netId": "n1", "givenName": "Ann", "surname": "Lee"}), mapping.Create, nil, &out)
	require.Empty(t, errs)
	require.Equal(t, mapping.AltSecID{TenantID: "t1", NetID: "n1"}, out.Results[0].Value)
	require.Equal(t, "Ann Lee", out.Results[1].Value)
	require.False(t, out.Results[2].Flow)
	require.Equal(t, mapping.SkipIgnoreFlow, out.Results[2].Skip)

	_, errs = mapping.Compile([]mapping.Spec{
		{Target: "alternativeSecurityIds", Type: mapping.Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 1},
		{Target: "displayName", Type: mapping.Expression, Expression: `Join(" ", [givenNme])`},
	}, mapping.Options{ObjectType: schema.UserType, Compiler: exprbind.Compiler{}})
	require.Len(t, errs, 1)
	require.Equal(t, "mappings[1].expression", errs[0].Path)
	require.Equal(t, rules.InvalidExpression, errs[0].Code)
}
