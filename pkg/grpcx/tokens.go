package grpcx

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AllTenants in a token's tenant list makes its holder an admin of every tenant.
const AllTenants = "*"

// TokenEntry is one caller in the tokens file.
type TokenEntry struct {
	// Name is the caller identity put in Principal.Name and in audit records.
	Name string `yaml:"name" json:"name"`
	// SHA256 is the hex SHA-256 of the bearer token; the token itself is
	// never stored.
	SHA256 string `yaml:"sha256" json:"sha256"`
	// Tenants the caller may manage, or ["*"].
	Tenants []string `yaml:"tenants" json:"tenants"`
}

// tokensFile is the file's shape (YAML is a superset of JSON).
type tokensFile struct {
	Tokens []TokenEntry `yaml:"tokens" json:"tokens"`
}

// Tokens verifies bearer tokens against the hashes of a tokens file.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	hash [sha256.Size]byte
	p    Principal
}

// LoadTokens reads a tokens file (YAML or JSON) and checks every entry.
func LoadTokens(path string) (*Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("grpcx: read tokens file: %w", err)
	}
	var f tokensFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("grpcx: parse tokens file %s: %w", path, err)
	}
	return NewTokens(f.Tokens)
}

// NewTokens checks entries (every problem at once) and returns a verifier.
func NewTokens(entries []TokenEntry) (*Tokens, error) {
	var errs []error
	t := &Tokens{}
	names := map[string]bool{}
	for i, e := range entries {
		where := fmt.Sprintf("tokens[%d]", i)
		if strings.TrimSpace(e.Name) == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", where))
		} else if names[e.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q listed twice", where, e.Name))
		}
		names[e.Name] = true
		raw, err := hex.DecodeString(strings.TrimSpace(e.SHA256))
		if err != nil || len(raw) != sha256.Size {
			errs = append(errs, fmt.Errorf("%s.sha256: want 64 hex digits (the SHA-256 of the token, never the token)", where))
		}
		if len(e.Tenants) == 0 {
			errs = append(errs, fmt.Errorf("%s.tenants: at least one tenant id or \"*\"", where))
		}
		for j, tid := range e.Tenants {
			if strings.TrimSpace(tid) == "" {
				errs = append(errs, fmt.Errorf("%s.tenants[%d]: empty", where, j))
			}
		}
		var te tokenEntry
		copy(te.hash[:], raw)
		te.p = Principal{Name: e.Name, Tenants: slices.Clone(e.Tenants)}
		t.entries = append(t.entries, te)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("grpcx: tokens: %w", err)
	}
	return t, nil
}

// HashToken is the hex SHA-256 a tokens file stores for token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Verify returns the principal of token. It compares against every entry
// in constant time and without an early exit, so timing tells nothing about
// which hash (or how much of it) matched.
func (t *Tokens) Verify(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	h := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(h[:], t.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	return t.entries[found].p, true
}
