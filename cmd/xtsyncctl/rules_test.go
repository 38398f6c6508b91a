package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRulesValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		wantOut    []string
		wantErr    string
	}{
		{name: "valid json", file: "testdata/rules-valid.json", wantOut: []string{"valid (deletion threshold 250)"}},
		{name: "valid yaml", file: "testdata/rules-valid.yaml", wantOut: []string{"valid (deletion threshold 100)"}},
		{name: "every problem listed with its field", file: "testdata/rules-invalid.json", wantErr: "14 problem(s)",
			wantOut: []string{"users.scopingFilters[1].clauses[0].operator: unknown operator \"EQUAL\"", "sourceTenantId:"}},
		{name: "unknown field in yaml", file: "testdata/rules-typo.yaml", wantErr: `unknown field "scopingFilter"`},
		{name: "missing file", file: "testdata/nope.yaml", wantErr: "read rules"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, _, err := runCtl(t, "", "rules", "validate", tc.file)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			for _, w := range tc.wantOut {
				require.True(t, strings.Contains(out, w), "output %q lacks %q", out, w)
			}
		})
	}
}
