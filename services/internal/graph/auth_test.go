package graph_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestTokenAcquired(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)

	require.NoError(t, s.client.CheckToken(ctx))
	require.EqualValues(t, 1, s.srv.Stats(s.tenant.ID).Tokens)

	// The SDK reuses azidentity's cached token for Graph calls: reading
	// twice must not ask the token endpoint again.
	_, err := s.client.GetDefaultPolicy(ctx)
	require.NoError(t, err)
	_, err = s.client.GetDefaultPolicy(ctx)
	require.NoError(t, err)
	// CheckToken and the SDK both ask for a CAE token, so they share it.
	require.EqualValues(t, 1, s.srv.Stats(s.tenant.ID).Tokens)
}

func TestTokenRefused(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	tests := []struct {
		name       string
		edit       func(*graph.Config)
		wantStatus int
		wantCode   string
	}{
		{"bad secret", func(c *graph.Config) { c.ClientSecret = "wrong" }, http.StatusUnauthorized, "invalid_client"},
		{"unknown client", func(c *graph.Config) { c.ClientID = "11111111-2222-3333-4444-555555555555" }, http.StatusBadRequest, "unauthorized_client"},
		// MSAL fails reading the tenant's OpenID metadata, before any token
		// request.
		{"unknown tenant", func(c *graph.Config) { c.TenantID = "99999999-9999-4999-8999-999999999999" }, http.StatusBadRequest, "invalid_tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := s.newClient(t, tt.edit)
			ctx := testCtx(t)
			for name, call := range map[string]func() error{
				"CheckToken": func() error { return c.CheckToken(ctx) },
				"SDK call":   func() error { _, err := c.GetUser(ctx, "nobody"); return err },
			} {
				err := call()
				require.Error(t, err, name)
				require.ErrorIs(t, err, graph.ErrAuth, name)
				var ge *graph.Error
				require.ErrorAs(t, err, &ge, name)
				require.True(t, ge.Auth, name)
				require.Equal(t, tt.wantStatus, ge.Status, name)
				require.Equal(t, tt.wantCode, ge.Code, name)
				require.Contains(t, ge.Message, "AADSTS", name)
				require.False(t, graph.IsTransient(err), name)
			}
		})
	}
}

func TestExpiredTokenRejectedByGraph(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)
	_, err := s.client.GetDefaultPolicy(ctx)
	require.NoError(t, err)

	// graphsim's clock moves past the token's exp while azidentity's cache,
	// on the real clock, still holds the token as valid.
	s.clock.Advance(2 * time.Hour)
	_, err = s.client.GetDefaultPolicy(ctx)
	require.Error(t, err)
	var ge *graph.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, http.StatusUnauthorized, ge.Status)
	require.Equal(t, "InvalidAuthenticationToken", ge.Code)
	require.ErrorIs(t, err, graph.ErrAuth)
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s3cr3t-value"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg, "secret", cfg.ClientSecret)
	for _, out := range []string{buf.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v %#v %s", cfg, cfg, cfg.ClientSecret)} {
		require.NotContains(t, out, "s3cr3t-value")
	}
	require.Contains(t, buf.String(), "REDACTED")
	require.Equal(t, "s3cr3t-value", cfg.ClientSecret.Reveal())
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s"}
	tests := []struct {
		name string
		edit func(*graph.Config)
		ok   bool
	}{
		{"defaults", func(*graph.Config) {}, true},
		{"no tenant", func(c *graph.Config) { c.TenantID = "" }, false},
		{"no client", func(c *graph.Config) { c.ClientID = "" }, false},
		{"no secret", func(c *graph.Config) { c.ClientSecret = "" }, false},
		{"http graph", func(c *graph.Config) { c.GraphURL = "http://127.0.0.1:1/v1.0" }, false},
		{"http authority", func(c *graph.Config) { c.AuthorityURL = "http://127.0.0.1:1/" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestUnreachableIsTransient(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	c := s.newClient(t, func(c *graph.Config) { c.GraphURL = "https://127.0.0.1:1/v1.0" })
	_, err := c.GetUser(testCtx(t), "x")
	require.Error(t, err)
	require.True(t, graph.IsTransient(err), "%v", err)
	require.False(t, errors.Is(err, graph.ErrAuth))
}

func TestConfigFlags(t *testing.T) {
	t.Parallel()
	var cfg graph.Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg.RegisterFlags("target.graph.", fs)
	require.NoError(t, fs.Parse([]string{
		"-target.graph.tenant-id=t1", "-target.graph.client-id=c1", "-target.graph.client-secret=hunter2",
		"-target.graph.graph-url=https://127.0.0.1:9/v1.0", "-target.graph.max-retries=5", "-target.graph.timeout=30s",
	}))
	require.Equal(t, "t1", cfg.TenantID)
	require.Equal(t, "hunter2", cfg.ClientSecret.Reveal())
	require.Equal(t, 5, cfg.MaxRetries)
	require.Equal(t, 30*time.Second, cfg.Timeout)
	require.NoError(t, cfg.Validate())
	// The usage text shows the flag, never its value.
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	require.NotContains(t, usage.String(), "hunter2")
}
