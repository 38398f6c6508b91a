package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/xtsync/xtsync/pkg/grpcx"
)

// EnsureLocalAdminToken gives the all-in-one default an authenticated API
// without a prepared tokens file: when none is set, auth is on and the
// server listens on loopback only, it uses <data-dir>/tokens.yaml, creating
// it on first start with the hash of a random admin token written to
// <data-dir>/admin.token (0600, the only copy). It returns the token file
// path it set ("" when it changed nothing).
func EnsureLocalAdminToken(cfg *Config) (string, error) {
	host, _, err := net.SplitHostPort(cfg.GRPC.ListenAddr)
	if cfg.GRPC.TokensFile != "" || cfg.GRPC.NoAuth || err != nil || !grpcx.IsLoopback(host) || cfg.DataDir == "" {
		return "", nil
	}
	tokens := filepath.Join(cfg.DataDir, "tokens.yaml")
	tokenFile := filepath.Join(cfg.DataDir, "admin.token")
	_, statErr := os.Stat(tokens)
	switch {
	case statErr == nil:
	case errors.Is(statErr, os.ErrNotExist):
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		token := hex.EncodeToString(b)
		if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		body := fmt.Sprintf("tokens:\n  - name: local-admin\n    sha256: %s\n    tenants: [\"*\"]\n", grpcx.HashToken(token))
		if err := os.WriteFile(tokens, []byte(body), 0o600); err != nil {
			return "", fmt.Errorf("admin tokens file: %w", err)
		}
	default:
		return "", fmt.Errorf("admin tokens file: %w", statErr)
	}
	cfg.GRPC.TokensFile = tokens
	return tokenFile, nil
}
