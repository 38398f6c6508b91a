package graph

import "github.com/xtsync/xtsync/pkg/secret"

// Secret holds a client secret; it prints, logs and marshals as REDACTED.
// An alias, so that callers can write graph.Secret(v) without importing
// pkg/secret.
type Secret = secret.Secret
