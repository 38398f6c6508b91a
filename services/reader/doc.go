// Package reader is the reader service: it turns CycleStart commands into
// reads of the source tenant and publishes what it read as
// SourceChangeBatches on XTSYNC_CHANGES, sharded by object id, then a
// CycleEnd, and only then moves the watermarks (README.md has the whole
// contract).
//
// A cycle reads groups first, as a scope pass (scope-only batches the
// transformer stores, with Deps.Groups), then (after an optional barrier
// that waits for the transformers to apply them) users, then the
// transformer's revisit set; then it waits until the users are written and
// publishes the stored groups for writing, so they are created with their
// members; and (end barrier) waits until the transformers consumed every
// change before publishing CycleEnd. Each Graph delta page is one unit of
// progress: its batches are published asynchronously on the cycle's own
// natsx.Publisher, WaitAll confirms them, and the page's NextLink is
// committed with compare-and-set, so a crash resumes on the next page and
// a second reader of the same configuration loses instead of moving the
// watermark twice.
package reader
