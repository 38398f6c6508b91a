package rules_test

import (
	"errors"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
)

// TestCatalogueComplete keeps Catalogue in step with the constants: every
// Code constant declared in codes.go must have a description.
func TestCatalogueComplete(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("codes.go")
	require.NoError(t, err)
	re := regexp.MustCompile(`(?m)^\t(\w+)\s+Code = "(\w+)"`)
	ms := re.FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, ms)
	for _, m := range ms {
		require.Equal(t, m[1], m[2], "constant name and value must match")
		_, ok := rules.Catalogue[rules.Code(m[2])]
		require.Truef(t, ok, "code %s missing from Catalogue", m[2])
	}
	require.Len(t, rules.Catalogue, len(ms))
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	var fe rules.FieldErrors
	require.NoError(t, fe.Err())
	cause := errors.New("boom")
	fe.Add(rules.Errorf(rules.InvalidValue, "b", "bad").Wrap(cause))
	fe.Addf(rules.Required, "a", "missing")
	var inner rules.FieldErrors
	inner.Addf(rules.InvalidOperator, "[0].operator", "x")
	fe.Merge("filters", inner)
	fe.Sort()
	require.Equal(t, "a: missing [Required]\nb: bad: boom [InvalidValue]\nfilters[0].operator: x [InvalidOperator]", fe.Error())
	err := fe.Err()
	require.ErrorIs(t, err, cause)
	require.Equal(t, rules.Required, rules.CodeOf(err))
}

func TestAttrsGet(t *testing.T) {
	t.Parallel()
	a := rules.NewAttrs(map[string]any{"userPrincipalName": "a@b"})
	v, ok := a.Get("UserPrincipalName")
	require.True(t, ok)
	require.Equal(t, "a@b", v)
	_, ok = a.Get("mail")
	require.False(t, ok)
	require.True(t, rules.IsEmpty(""))
	require.True(t, rules.IsEmpty([]string{}))
	require.False(t, rules.IsEmpty(false))
}
