package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCtl(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestExprEval(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "user.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"mailNickname":"zoe.muller"}`), 0o600))
	tests := []struct {
		name    string
		stdin   string
		args    []string
		want    string
		wantErr string
		note    string
	}{
		{name: "join inline attrs", args: []string{"expr", "eval", `Join(" ", [givenName], [surname])`, "--attrs", `{"givenName":"Zoë","surname":"Müller"}`}, want: `"Zoë Müller"`},
		{name: "attrs from stdin", stdin: `{"mail":"a@b.example"}`, args: []string{"expr", "eval", `ToUpper([mail])`, "--attrs", "-"}, want: `"A@B.EXAMPLE"`},
		{name: "attrs from file", args: []string{"expr", "eval", `Append([mailNickname], "@fabrikam.example")`, "--attrs", "@" + file}, want: `"zoe.muller@fabrikam.example"`},
		{name: "fixed now", args: []string{"expr", "eval", `Now()`, "--now", "2026-01-02T15:04:05Z"}, want: `"1/2/2026 3:04:05 PM"`},
		{name: "ignore flow is a note", args: []string{"expr", "eval", `IgnoreFlowIfNullOrEmpty([mail])`}, note: "IgnoreFlowIfNullOrEmpty"},
		{name: "syntax error names position", args: []string{"expr", "eval", `Join(" ", [a]`}, wantErr: "position"},
		{name: "unknown function", args: []string{"expr", "eval", `Frobnicate([a])`}, wantErr: "Frobnicate"},
		{name: "bad attrs json", args: []string{"expr", "eval", `[a]`, "--attrs", `{"a":`}, wantErr: "attr"},
		{name: "bad now", args: []string{"expr", "eval", `Now()`, "--now", "yesterday"}, wantErr: "--now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, err := runCtl(t, tc.stdin, tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, strings.TrimSpace(out))
			if tc.note != "" {
				require.Contains(t, errOut, tc.note)
			}
		})
	}
}

func TestExprFunctionsListsReplace(t *testing.T) {
	t.Parallel()
	out, _, err := runCtl(t, "", "expr", "functions")
	require.NoError(t, err)
	require.Contains(t, strings.Split(out, "\n"), "Replace")
}
