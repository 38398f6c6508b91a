package odata_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/odata"
)

func TestParseSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"id", []string{"id"}, ""},
		{"id,displayName,mail", []string{"id", "displayName", "mail"}, ""},
		{" id , displayName ", []string{"id", "displayName"}, ""},
		{"id,ID,displayName", []string{"id", "displayName"}, ""},
		{"manager/id", []string{"manager/id"}, ""},
		{"*", []string{"*"}, ""},
		{"", nil, "Term '' is not valid"},
		{"id,,mail", nil, "Term '' is not valid"},
		{"id,", nil, "Term '' is not valid"},
		{"display name", nil, "Term 'display name' is not valid"},
		{"id;drop", nil, "is not valid"},
		{"$count", nil, "is not valid"},
		{"Zoë", nil, "is not valid"},
		{strings.Repeat("a,", odata.MaxOptionLength), nil, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := odata.ParseSelect(tc.in)
			if tc.wantErr != "" {
				var oe *odata.Error
				require.ErrorAs(t, err, &oe)
				require.Equal(t, "$select", oe.Option)
				require.Contains(t, oe.Message, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []odata.OrderBy
		wantErr string
	}{
		{"displayName", []odata.OrderBy{{Property: "displayName"}}, ""},
		{"displayName desc", []odata.OrderBy{{Property: "displayName", Desc: true}}, ""},
		{"displayName ASC, createdDateTime DESC", []odata.OrderBy{{Property: "displayName"}, {Property: "createdDateTime", Desc: true}}, ""},
		{"  userPrincipalName   ", []odata.OrderBy{{Property: "userPrincipalName"}}, ""},
		{"", nil, "Invalid $orderby term ''"},
		{"displayName up", nil, "Expected 'asc' or 'desc' but found 'up'"},
		{"displayName desc extra", nil, "Invalid $orderby term"},
		{"a,,b", nil, "position 2"},
		{"'x'", nil, "Invalid $orderby term"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := odata.ParseOrderBy(tc.in)
			if tc.wantErr != "" {
				var oe *odata.Error
				require.ErrorAs(t, err, &oe)
				require.Equal(t, "$orderby", oe.Option)
				require.Contains(t, oe.Message, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseTop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{"1", 1, ""},
		{"100", 100, ""},
		{"999", 999, ""},
		{" 5 ", 5, ""},
		{"0", 0, "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."},
		{"1000", 0, "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"-1", 0, "requires a non-negative integer value"},
		{"abc", 0, "Invalid value 'abc' for $top query option found."},
		{"", 0, "Invalid value ''"},
		{"99999999999999999999999", 0, "non-negative integer"},
		{"1e3", 0, "non-negative integer"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := odata.ParseTop(tc.in)
			if tc.wantErr != "" {
				var oe *odata.Error
				require.ErrorAs(t, err, &oe)
				require.Equal(t, "$top", oe.Option)
				require.Contains(t, oe.Message, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseCount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "TRUE": true, "false": false} {
		got, err := odata.ParseCount(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := odata.ParseCount("yes")
	require.ErrorContains(t, err, "'yes' is not a valid count option")
}
