// Package secret holds credentials (passwords, tokens, client secrets) so
// that they cannot leak through logs, traces, fmt or config dumps: a Secret
// prints, logs and marshals as REDACTED, and Reveal is the only way to read it.
package secret

import (
	"flag"
	"log/slog"
)

// Redacted is what a non-empty Secret shows instead of its value.
const Redacted = "REDACTED"

// Secret is a credential value.
type Secret string

// Reveal returns the value, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer; an empty Secret prints empty so that
// "not set" stays visible.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `secret.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps JSON and YAML dumps of a config from leaking the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Flag returns a flag.Value that sets *s; its default prints as REDACTED.
func Flag(s *Secret) flag.Value { return flagValue{s} }

type flagValue struct{ s *Secret }

func (f flagValue) String() string {
	if f.s == nil {
		return ""
	}
	return f.s.String()
}

func (f flagValue) Set(v string) error { *f.s = Secret(v); return nil }
