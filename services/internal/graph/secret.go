package graph

import "log/slog"

// Secret holds a client secret. It prints and logs as REDACTED so a Config
// can be logged or dumped without leaking credentials.
type Secret string

const redacted = "REDACTED"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer so %#v is safe too.
func (Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of JSON and YAML dumps of a Config.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Set implements flag.Value.
func (s *Secret) Set(v string) error {
	*s = Secret(v)
	return nil
}

// Reveal returns the secret itself; only the credential should call it.
func (s Secret) Reveal() string { return string(s) }
