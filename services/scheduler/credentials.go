package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A credential reference names where a client secret lives; the API never
// accepts or returns the secret itself.
//
//	env:NAME      environment variable NAME of the scheduler process
//	file:/path    a file (absolute path), trailing newline trimmed
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// checkCredentialRef returns "" or what is wrong with ref.
func checkCredentialRef(ref string) string {
	kind, val, ok := strings.Cut(ref, ":")
	switch {
	case ref == "":
		return "required: env:NAME or file:/path"
	case !ok:
		return "must be env:NAME or file:/path (a reference, never the secret)"
	case kind == "env":
		if !envName.MatchString(val) {
			return "env: needs a variable name ([A-Za-z_][A-Za-z0-9_]*)"
		}
	case kind == "file":
		if !filepath.IsAbs(val) || filepath.Clean(val) != val || len(val) > 1024 {
			return "file: needs a clean absolute path"
		}
	default:
		return fmt.Sprintf("unknown kind %q: use env:NAME or file:/path", kind)
	}
	return ""
}

// resolveCredential reads the secret ref points at. The error names the
// reference, never the value.
func resolveCredential(ref string) (string, error) {
	if msg := checkCredentialRef(ref); msg != "" {
		return "", fmt.Errorf("credential reference: %s", msg)
	}
	kind, val, _ := strings.Cut(ref, ":")
	if kind == "env" {
		v, ok := os.LookupEnv(val)
		if !ok || v == "" {
			return "", fmt.Errorf("credential %s: environment variable not set", ref)
		}
		return v, nil
	}
	b, err := os.ReadFile(val)
	if err != nil {
		return "", fmt.Errorf("credential %s: %w", ref, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("credential %s: file is empty", ref)
	}
	return v, nil
}
