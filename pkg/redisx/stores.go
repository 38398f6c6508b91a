package redisx

import (
	"context"
	"iter"
	"time"
)

// The store interfaces below are the whole contract of the Redis state; the
// Redis implementations, the metrics and retry decorators and the
// conformance suite in storetest all speak only these. Implementations are
// safe for concurrent use.

// ObjectType is the kind of source object a watermark or entry belongs to.
type ObjectType string

// Object types.
const (
	Users  ObjectType = "users"
	Groups ObjectType = "groups"
)

// WatermarkStore keeps, per configuration and object type, where the reader
// resumes. Called by the reader; Reset by the scheduler (restart).
type WatermarkStore interface {
	// Get returns the stored watermark, or ErrNotFound with a zero value
	// (Rev 0) when the pair never had one.
	Get(ctx context.Context, cfg string, t ObjectType) (Watermark, error)
	// Commit stores next if the stored Rev still equals expectedRev (0: none
	// stored yet) and returns it with Rev = expectedRev+1. It is called only
	// after every change read under next is durably queued. A lost race
	// returns ErrConflict; repeating a Commit that already landed returns
	// the stored watermark, so a retry after a lost reply is safe.
	Commit(ctx context.Context, cfg string, t ObjectType, expectedRev uint64, next Watermark) (Watermark, error)
	// Reset forgets the links (the next read is a full import) and bumps Rev
	// so any reader still holding the old Rev loses its next Commit.
	Reset(ctx context.Context, cfg string, t ObjectType) (Watermark, error)
}

// Watermark is the committed read position.
type Watermark struct {
	// Rev is the compare-and-set revision, set by the store.
	Rev uint64 `json:"-"`
	// DeltaLink is Graph's @odata.deltaLink; empty until a full import ends.
	DeltaLink string `json:"deltaLink,omitempty"`
	// NextLink is the @odata.nextLink of an unfinished full import, so an
	// interrupted import resumes on the page after the last queued one.
	NextLink string `json:"nextLink,omitempty"`
	// FullImport is true while a full import is in progress.
	FullImport bool `json:"fullImport,omitempty"`
	// EndLink is the deltaLink a round of cycle CycleID ended with, before
	// that cycle's end committed it as DeltaLink: a rerun of the cycle does
	// not read (and publish) the round again.
	EndLink string `json:"endLink,omitempty"`
	// Published counts the changes the committed pages of cycle CycleID's
	// round published, so a rerun's CycleEnd counts the whole cycle.
	Published int64 `json:"published,omitempty"`
	// Select is the $select the round's links were made with (the reader
	// keys it): a delta link answers with the properties of its initial
	// request, so a changed $select needs a full read. Empty: not recorded.
	Select    string    `json:"select,omitempty"`
	CycleID   string    `json:"cycleId,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ConnectorStore is the connector data store: what this configuration
// provisioned, by source object id, plus the reverse index target → source.
// Read by the transformer (batches), written by the writer's outcomes.
type ConnectorStore interface {
	Get(ctx context.Context, cfg, sourceID string) (Entry, error)
	// GetMany returns the entries found, by source id; missing ids are absent.
	GetMany(ctx context.Context, cfg string, sourceIDs []string) (map[string]Entry, error)
	// SourceOf resolves a target object id through the reverse index.
	SourceOf(ctx context.Context, cfg, targetID string) (string, error)
	// Put stores e unless the stored entry has a higher Version (then
	// ErrConflict): an outcome of an older cycle never overwrites a newer
	// one, and the same outcome applied twice is harmless.
	Put(ctx context.Context, cfg string, e Entry) error
	// PutMany is Put for a batch in one round trip; errs[i] is nil or
	// wraps ErrConflict for entries[i].
	PutMany(ctx context.Context, cfg string, entries []Entry) (errs []error, err error)
	// Delete removes the entry and its reverse index; absent is not an error.
	Delete(ctx context.Context, cfg, sourceID string) error
	Count(ctx context.Context, cfg string) (int64, error)
	// Scan yields every entry in no particular order, with HSCAN's
	// guarantees: entries present for the whole scan are yielded at least
	// once (rarely twice, callers dedupe by SourceID); entries written during
	// the scan may or may not appear.
	Scan(ctx context.Context, cfg string) iter.Seq2[Entry, error]
	// Drop removes all entries of the configuration (configuration deleted).
	Drop(ctx context.Context, cfg string) error
}

// EscrowStore remembers objects that keep failing so later cycles retry
// them and the log service reports them. Written by the writer/synclog.
type EscrowStore interface {
	// RecordFailure adds one failure and returns the object's failure count.
	RecordFailure(ctx context.Context, cfg, objectID, code, msg string) (int64, error)
	Clear(ctx context.Context, cfg, objectID string) error
	// List returns the escrows sorted by object id.
	List(ctx context.Context, cfg string) ([]Escrow, error)
	ClearAll(ctx context.Context, cfg string) error
}

// Escrow is one failing object.
type Escrow struct {
	ObjectID  string    `json:"-"`
	Count     int64     `json:"count"`
	Code      string    `json:"code"`
	Message   string    `json:"msg"`
	FirstSeen time.Time `json:"first"`
	LastSeen  time.Time `json:"last"`
}

// QuarantineStore holds the quarantine of a configuration's job. Entered and
// released by the scheduler (from the synclog's decisions).
type QuarantineStore interface {
	// Enter starts a quarantine series or, when one is running, re-imposes
	// it with a doubled back-off (capped). now is passed for testability.
	Enter(ctx context.Context, cfg, reason, msg string, now time.Time) (Quarantine, error)
	// Get returns ErrNotFound when the job is not in quarantine.
	Get(ctx context.Context, cfg string) (Quarantine, error)
	// Release ends the series (errors fixed, or an admin restart).
	Release(ctx context.Context, cfg string) error
}

// Quarantine mirrors Graph's synchronizationQuarantine.
type Quarantine struct {
	// Reason is a quarantineReason code, e.g. EncounteredTotalEscrowThreshold,
	// TooManyDeletes, EncounteredQuarantineException, QuarantinedOnDemand.
	Reason  string `json:"reason"`
	Message string `json:"msg,omitempty"`
	// SeriesBegan: first imposition of this series; CurrentBegan: the last.
	SeriesBegan  time.Time `json:"seriesBegan"`
	CurrentBegan time.Time `json:"currentBegan"`
	// NextAttempt is when the scheduler may run the next cycle.
	NextAttempt time.Time `json:"nextAttempt"`
	// SeriesCount counts re-impositions after the first (0 on Enter #1).
	SeriesCount int64 `json:"seriesCount"`
	// Expired: the series is older than QuarantinePolicy.DisableAfter; Entra
	// disables (stops) such a job.
	Expired bool `json:"-"`
}

// Leases elects one scheduler replica and serializes the cycles of one
// configuration.
type Leases interface {
	// AcquireLeader tries once; ErrNotLeader when another replica leads.
	// The lease refreshes in the background until ctx ends or Release.
	AcquireLeader(ctx context.Context, name string, ttl time.Duration) (Lease, error)
	// AcquireCycle is the per-configuration cycle lock; ErrLocked when held.
	AcquireCycle(ctx context.Context, cfg string, ttl time.Duration) (Lease, error)
}

// Lease is a held lock with a fencing token.
type Lease interface {
	// Fence increases with every acquisition of the same lock; pass it
	// along with writes so that a stale holder can be refused.
	Fence() uint64
	// Context ends when the lease is lost or released.
	Context() context.Context
	// Check returns ErrLeaseLost unless the lease is still held in Redis.
	Check(ctx context.Context) error
	// Release gives the lease up and stops its refresher.
	Release(ctx context.Context) error
}

// RateLimiter is the write budget shared by all writers of a target tenant.
type RateLimiter interface {
	// Reserve takes n tokens now and returns 0, or takes nothing and returns
	// how long to wait before asking again (a pause from Backoff included).
	Reserve(ctx context.Context, tenant string, n int) (time.Duration, error)
	// Wait blocks until n tokens are taken or ctx ends.
	Wait(ctx context.Context, tenant string, n int) error
	// Backoff pauses every writer of the tenant for d (Graph's Retry-After);
	// an active longer pause is kept.
	Backoff(ctx context.Context, tenant string, d time.Duration) error
	// MaxWrites is the most tokens one request should take now (the writes
	// of one $batch): the burst, or fewer while the tenant is throttled.
	MaxWrites(ctx context.Context, tenant string) (int, error)
}
