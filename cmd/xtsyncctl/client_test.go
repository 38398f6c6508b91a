package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/rules"
)

func TestLoadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		stdin      string
		wantName   string
		wantIv     time.Duration
		wantMask   []string
		wantErr    []string
	}{
		{name: "yaml", file: "testdata/config-contoso.yaml", wantName: "contoso to fabrikam (yaml)", wantIv: 24 * time.Hour,
			wantMask: []string{"display_name", "rules", "schedule_interval", "source", "target"}},
		{name: "json with proto names", file: "testdata/config-contoso.json", wantName: "contoso to fabrikam (json)", wantIv: 90 * time.Minute,
			wantMask: []string{"display_name", "rules", "schedule_interval", "source", "target"}},
		{name: "partial file is a partial mask", file: "testdata/config-rename.yaml", wantName: "contoso to fabrikam (renamed)", wantIv: 2 * time.Hour,
			wantMask: []string{"display_name", "schedule_interval"}},
		{name: "stdin", file: "-", stdin: `{"displayName":"piped","etag":"3"}`, wantName: "piped", wantMask: []string{"display_name"}},
		{name: "unknown nested field", file: "testdata/config-typo.yaml", wantErr: []string{"config-typo.yaml: source.tenantID: unknown field", "tenantId"}},
		{name: "not a duration", file: "testdata/config-bad-interval.yaml", wantErr: []string{"config-bad-interval.yaml: scheduleInterval", `"40m"`}},
		{name: "wrong type", file: "-", stdin: `{"displayName": 5}`, wantErr: []string{"-:", "displayName"}},
		{name: "tenant not an object", file: "-", stdin: `{"source": "contoso"}`, wantErr: []string{"source: want an object"}},
		{name: "not an object", file: "-", stdin: `- a`, wantErr: []string{"want an object"}},
		{name: "yaml syntax", file: "-", stdin: "displayName: [", wantErr: []string{"-: parse"}},
		{name: "missing", file: "testdata/nope.yaml", wantErr: []string{"read configuration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mask, err := loadConfiguration(tc.file, strings.NewReader(tc.stdin))
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					require.ErrorContains(t, err, w)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantName, c.GetDisplayName())
			require.Equal(t, tc.wantIv, c.GetScheduleInterval().AsDuration())
			require.Equal(t, tc.wantMask, mask)
		})
	}
}

func TestClientConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin.token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600))
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte("not a certificate"), 0o600))
	tests := []struct {
		name      string
		g         globalOpts
		wantToken string
		wantTLS   bool
		wantErr   string
	}{
		{name: "token flag", g: globalOpts{addr: defaultAddr, token: "t"}, wantToken: "t"},
		{name: "token file trimmed", g: globalOpts{addr: defaultAddr, tokenFile: tokenFile}, wantToken: "s3cret"},
		{name: "both", g: globalOpts{addr: defaultAddr, token: "t", tokenFile: tokenFile}, wantErr: "exclude each other"},
		{name: "missing token file", g: globalOpts{addr: defaultAddr, tokenFile: filepath.Join(dir, "nope")}, wantErr: "--token-file"},
		{name: "tls with system roots", g: globalOpts{addr: "xtsync.example:443", tls: true}, wantTLS: true},
		{name: "server name implies tls", g: globalOpts{addr: "10.0.0.1:9095", serverName: "xtsync.example"}, wantTLS: true},
		{name: "bad ca file", g: globalOpts{addr: defaultAddr, caFile: ca}, wantErr: "no PEM certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cc, err := tc.g.clientConfig()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantToken, cc.Token)
			require.Equal(t, tc.wantTLS, cc.TLS != nil)
		})
	}
}

func TestGlobalFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		addr    string
		token   string
		wantErr string
	}{
		{name: "defaults", addr: defaultAddr},
		{name: "env", env: map[string]string{"XTSYNC_ADDR": "127.0.0.1:1", "XTSYNC_TOKEN": "e"}, addr: "127.0.0.1:1", token: "e"},
		{name: "flags win", env: map[string]string{"XTSYNC_ADDR": "127.0.0.1:1"}, args: []string{"--addr", "127.0.0.1:2", "--token", "f"}, addr: "127.0.0.1:2", token: "f"},
		{name: "bad output", args: []string{"-o", "yaml"}, wantErr: "--output"},
		{name: "bad timeout", args: []string{"--timeout", "0s"}, wantErr: "--timeout"},
		{name: "cert without key", args: []string{"--tls-cert-file", "c.pem"}, wantErr: "go together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &globalOpts{}
			root := &cobra.Command{Use: "xtsyncctl"}
			g.register(root, func(k string) string { return tc.env[k] })
			require.NoError(t, root.PersistentFlags().Parse(tc.args))
			err := g.check()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.addr, g.addr)
			require.Equal(t, tc.token, g.token)
		})
	}
}

func TestAPIErrorNamesCodeAndFields(t *testing.T) {
	t.Parallel()
	fe := rules.FieldErrors{
		{Code: rules.Required, Path: "source.tenant_id", Msg: "required"},
		{Code: rules.InvalidValue, Path: "schedule_interval", Msg: "5m..24h"},
	}
	tests := []struct {
		name string
		err  error
		code codes.Code
		want []string
	}{
		{name: "field violations", err: grpcx.InvalidArgument("configuration", fe), code: codes.InvalidArgument,
			want: []string{"CreateConfiguration: InvalidArgument: 2 invalid field(s)", "\n  configuration.source.tenant_id: required [Required]", "\n  configuration.schedule_interval: 5m..24h"}},
		{name: "plain status", err: status.Error(codes.PermissionDenied, "tenant not allowed"), code: codes.PermissionDenied,
			want: []string{"CreateConfiguration: PermissionDenied: tenant not allowed"}},
		{name: "not a status", err: os.ErrNotExist, code: codes.Unknown, want: []string{"CreateConfiguration: file does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := rpcErr("CreateConfiguration", tc.err)
			require.Equal(t, tc.code, status.Code(err))
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLogFilterFlags(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		f       logFlags
		action  string
		status  string
		since   time.Time
		wantErr string
	}{
		{name: "camel case action", f: logFlags{action: "HardDelete", status: "success"}, action: "WRITE_ACTION_HARD_DELETE", status: "PROVISIONING_STATUS_SUCCESS"},
		{name: "lower case with dash", f: logFlags{action: "hard-delete", status: "Skipped"}, action: "WRITE_ACTION_HARD_DELETE", status: "PROVISIONING_STATUS_SKIPPED"},
		{name: "since a duration ago", f: logFlags{since: "90m"}, action: "WRITE_ACTION_UNSPECIFIED", status: "PROVISIONING_STATUS_UNSPECIFIED", since: now.Add(-90 * time.Minute)},
		{name: "since RFC 3339", f: logFlags{since: "2026-02-01T00:00:00Z"}, action: "WRITE_ACTION_UNSPECIFIED", status: "PROVISIONING_STATUS_UNSPECIFIED", since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{name: "unknown action", f: logFlags{action: "Frobnicate"}, wantErr: "--action"},
		{name: "unspecified is not an action", f: logFlags{action: "unspecified"}, wantErr: "--action"},
		{name: "unknown status", f: logFlags{status: "ok"}, wantErr: "--status"},
		{name: "bad until", f: logFlags{until: "-5m"}, wantErr: "--until"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lf, err := tc.f.filter("cfg", now)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.action, lf.GetAction().String())
			require.Equal(t, tc.status, lf.GetStatus().String())
			if !tc.since.IsZero() {
				require.True(t, tc.since.Equal(lf.GetStartTime().AsTime()))
			}
		})
	}
}
