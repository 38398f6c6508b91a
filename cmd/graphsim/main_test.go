package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunPrintsOneLinePerTenant(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-tenants", "2", "-users", "20", "-groups", "2", "-ca-file", caFile}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var lines []map[string]string
	for len(lines) < 2 && sc.Scan() {
		var m map[string]string
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		lines = append(lines, m)
	}
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NoError(t, <-done)

	require.Len(t, lines, 2)
	require.Equal(t, "contoso.example", lines[0]["domain"])
	require.Equal(t, "fabrikam.example", lines[1]["domain"])
	for _, l := range lines {
		for _, k := range []string{"tenant_id", "client_id", "client_secret", "graph_url", "authority_url", "ca_file"} {
			require.NotEmpty(t, l[k], k)
		}
		require.Regexp(t, `^https://127\.0\.0\.1:\d+/v1\.0$`, l["graph_url"])
		require.Equal(t, caFile, l["ca_file"])
	}
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	require.Contains(t, string(pem), "BEGIN CERTIFICATE")
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-fault-rate", "2"}, "-fault-rate"},
		{[]string{"-tenants", "0"}, "-tenants"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-tenants-file", "/nonexistent.json"}, "-tenants-file"},
		{[]string{"-log.level", "loud"}, "-log.level"},
	} {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		require.ErrorContains(t, err, tc.want, tc.args)
	}
}
