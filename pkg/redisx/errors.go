package redisx

import "errors"

// Sentinel errors. Every store wraps them with %w, so callers compare with
// errors.Is and never parse messages.
var (
	// ErrNotFound: no record for the key asked for.
	ErrNotFound = errors.New("redisx: not found")
	// ErrConflict: a compare-and-set lost (the watermark moved under the
	// caller) or a write is older than what is stored (connector entry
	// version). The caller re-reads; it must not retry blindly.
	ErrConflict = errors.New("redisx: conflict")
	// ErrNotLeader: another replica holds the leader lease.
	ErrNotLeader = errors.New("redisx: not leader")
	// ErrLocked: another replica runs a cycle of this configuration.
	ErrLocked = errors.New("redisx: locked")
	// ErrLeaseLost: the lease expired or was taken over; a newer fencing
	// token exists and the holder's writes must stop.
	ErrLeaseLost = errors.New("redisx: lease lost")
	// ErrInvalid: an argument can never succeed (bad id, n above burst...).
	ErrInvalid = errors.New("redisx: invalid argument")
)
