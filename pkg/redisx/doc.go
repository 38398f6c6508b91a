// Package redisx is the Redis-backed state of the sync engine: watermarks,
// the connector data store, escrows, quarantine, leases and the write
// budget shared by a target tenant's writers. Each store is a small
// interface (stores.go) with a Redis implementation, metrics and retry
// decorators (metrics*.go, retry*.go), and one conformance suite
// (storetest.RunAll) that every implementation and decorator stack passes.
//
// # Key schema
//
// Every key of one configuration carries the hash tag {<cfg>} so a Lua
// script touching several of them stays in one Redis Cluster slot. Ids may
// not contain braces or NUL (ErrInvalid). No key below has a TTL unless
// stated: losing state by expiry would mean a silent full resync.
//
//	xtsync:{<cfg>}:wm:<users|groups>   HASH   rev (CAS counter), data (JSON Watermark)
//	xtsync:{<cfg>}:cds                 HASH   source id -> binary Entry (codec.go)
//	xtsync:{<cfg>}:cds:rev             HASH   target id -> source id (reverse index)
//	xtsync:{<cfg>}:escrow              HASH   object id -> JSON {count, code, msg, first, last}
//	xtsync:{<cfg>}:quarantine          STRING JSON {reason, msg, seriesBegan, currentBegan, nextAttempt, seriesCount}
//	xtsync:{<cfg>}:cycle:lock          STRING redislock value "<token>:<fence>", PX = lease TTL (refreshed at TTL/3)
//	xtsync:{<cfg>}:cycle:fence         STRING INCR counter: the cycle lock's fencing tokens
//	xtsync:{leader:<name>}:lock        STRING leader lease, as cycle:lock
//	xtsync:{leader:<name>}:fence       STRING INCR counter: the leader's fencing tokens
//	rate:xtsync:{tenant:<tid>}:budget  STRING redis_rate GCRA state (its own "rate:" prefix), PX = until the budget is full again
//	xtsync:{tenant:<tid>}:pause        STRING resume time (RFC 3339), PX = Retry-After; only ever extended
//
// # Why one hash for the connector data store
//
// BenchmarkConnectorMemory loads 300,000 realistic entries (GUID ids) and
// measures used_memory per entry. With the binary codec, one hash costs
// 197 B/entry (forward only) against 229 B for one key per entry, and 347
// B/entry with the reverse index; JSON costs ~95 B/entry more. Bucketing the
// hash into 4,096 small hashes gains nothing: an encoded entry (84 B) is
// above hash-max-listpack-value (64 B), so the buckets are hashtables too.
// One hash keeps Count (HLEN), Scan (HSCAN) and Drop (UNLINK) one command.
// Per-attribute export hashes (20 attributes) add ~415 B/entry; they are
// optional for that reason.
//
// # Atomicity
//
// Lua scripts (redis.NewScript, EVALSHA with EVAL fallback) where a read
// decides a write: watermark compare-and-set, connector version check plus
// reverse index, escrow counts, quarantine back-off, the pause extension.
// Scripts receive every key they touch, all in one slot.
package redisx
