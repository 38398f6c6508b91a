package app_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/app"
)

func TestEnsureLocalAdminToken(t *testing.T) {
	t.Parallel()
	var cfg app.Config
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.PanicOnError))
	cfg.DataDir = t.TempDir()
	file, err := app.EnsureLocalAdminToken(&cfg)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(cfg.DataDir, "admin.token"), file)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	tokens, err := grpcx.LoadTokens(cfg.GRPC.TokensFile)
	require.NoError(t, err)
	p, ok := tokens.Verify(strings.TrimSpace(string(raw)))
	require.True(t, ok)
	require.True(t, p.Admin())
	require.NoError(t, cfg.Validate())

	// A second start keeps the first token.
	again := cfg
	again.GRPC.TokensFile = ""
	_, err = app.EnsureLocalAdminToken(&again)
	require.NoError(t, err)
	raw2, _ := os.ReadFile(file)
	require.Equal(t, raw, raw2)

	// Off loopback nothing is made up: the operator must decide.
	public := cfg
	public.GRPC.TokensFile, public.GRPC.ListenAddr = "", "0.0.0.0:9095"
	file, err = app.EnsureLocalAdminToken(&public)
	require.NoError(t, err)
	require.Empty(t, file)
	require.ErrorContains(t, public.Validate(), "a tokens file is required")
}
