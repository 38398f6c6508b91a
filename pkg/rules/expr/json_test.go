package expr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

func TestEvalJSON(t *testing.T) {
	t.Parallel()
	now := time.Date(2021, 7, 2, 15, 33, 38, 0, time.UTC)
	attrs := []byte(`{"givenName":"Zoë","Surname":"Doe","proxyAddresses":["SMTP:a@x","smtp:a@x","SMTP:a@x"],"n":3,"big":129699324000000000,"ok":true,"gone":null}`)
	tests := []struct {
		src, want string
	}{
		{`Join(" ", [givenName], [surname])`, `"Zoë Doe"`},
		{`RemoveDuplicates([proxyAddresses])`, `["SMTP:a@x","smtp:a@x"]`},
		{`Count([proxyAddresses])`, `3`},
		{`[n]`, `3`},
		{`DateFromNum([big])`, `"1/1/2012 11:00:00 PM"`},
		{`[ok]`, `true`},
		{`[gone]`, `null`},
		{`Split([missing], ",")`, `null`},
		{`Now()`, `"7/2/2021 3:33:38 PM"`},
		{`Left("<&>", 3)`, `"\u003c\u0026\u003e"`},
	}
	for _, tt := range tests {
		got, err := expr.EvalJSON(tt.src, attrs, now)
		require.NoError(t, err, tt.src)
		require.Equal(t, tt.want, string(got), tt.src)
	}

	_, err := expr.EvalJSON(`IgnoreFlowIfNullOrEmpty([gone])`, attrs, now)
	require.ErrorIs(t, err, expr.ErrIgnoreFlow)
	_, err = expr.EvalJSON(`Join(`, attrs, now)
	var se *expr.SyntaxError
	require.True(t, errors.As(err, &se))
	_, err = expr.EvalJSON(`[a]`, []byte(`[1]`), now)
	require.ErrorContains(t, err, "decode attributes")
	got, err := expr.EvalJSON(`Coalesce([a], "none")`, nil, time.Time{})
	require.NoError(t, err)
	require.Equal(t, `"none"`, string(got))
}

func TestAttributesFunc(t *testing.T) {
	t.Parallel()
	bag := map[string]any{"givenname": "Ada"}
	attrs := expr.AttributesFunc(func(n string) (expr.Value, bool) {
		v, ok := bag[n]
		return expr.ValueOf(v), ok
	})
	v, err := expr.MustCompile(`ToUpper([GivenName])`).Eval(&expr.Env{Attrs: attrs})
	require.NoError(t, err)
	require.Equal(t, "ADA", v.String())
}
