package natsx_test

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	cfg := natsx.Config{URL: "nats://x", Token: "s3cr3t-token"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "token", cfg.Token, "cfg", cfg)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v %#v", cfg, cfg)} {
		require.NotContains(t, out, "s3cr3t")
		require.Contains(t, out, "REDACTED")
	}
	require.Equal(t, "s3cr3t-token", cfg.Token.Reveal())
}

func TestConfigFlagsAndValidate(t *testing.T) {
	t.Parallel()
	var cfg natsx.Config
	f := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg.RegisterFlags("nats.", f)
	require.Equal(t, -1, cfg.MaxReconnects, "reconnect forever by default")
	require.NoError(t, f.Parse([]string{"-nats.url=nats://a:4222,nats://b:4222", "-nats.token=tok", "-nats.reconnect-wait=1s"}))
	require.Equal(t, "tok", cfg.Token.Reveal())
	require.Equal(t, time.Second, cfg.ReconnectWait)
	require.NoError(t, cfg.Validate())

	tests := []struct {
		name    string
		mutate  func(*natsx.Config)
		wantErr string
	}{
		{"no url", func(c *natsx.Config) { c.URL = " " }, "url is required"},
		{"two auth methods", func(c *natsx.Config) { c.CredsFile = "x.creds" }, "at most one"},
		{"cert without key", func(c *natsx.Config) { c.TLS.CertFile = "c.pem" }, "go together"},
		{"bad reconnects", func(c *natsx.Config) { c.MaxReconnects = -2 }, "max reconnects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cfg
			tt.mutate(&c)
			require.ErrorContains(t, c.Validate(), tt.wantErr)
		})
	}
}

func TestConnectRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := natsx.Connect(natsx.Config{}, nil)
	require.ErrorContains(t, err, "url is required")
}
