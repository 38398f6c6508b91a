package synclog

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// XTSYNC_LOGS holds one ProvisioningLogBatch per OutcomeBatch (split in
// parts only when it would pass the stream's MaxMsgSize): one stored
// message and one fsync per batch instead of per entry, which is what made
// the log service the tail of big cycles (BENCHMARKS.md).

// logMsgOverhead is the room kept in a part for the batch's own fields.
const logMsgOverhead = 4 << 10

// entrySizeSlack covers what varies in an entry between two deliveries of
// its batch (trace id, a timestamp taken from the clock) plus its framing.
const entrySizeSlack = 64

// errNoEntries: a stored message that is neither a batch nor an entry.
var errNoEntries = errors.New("log message holds no entry")

// decodeLogMsg returns the entries of one XTSYNC_LOGS message: a
// ProvisioningLogBatch, or a bare ProvisioningLogEntry stored before
// batching (its fields are unknown to the batch, which then has none).
func decodeLogMsg(data []byte) ([]*eventsv1.ProvisioningLogEntry, error) {
	var b eventsv1.ProvisioningLogBatch
	if err := proto.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	if len(b.GetEntries()) > 0 {
		return b.GetEntries(), nil
	}
	var e eventsv1.ProvisioningLogEntry
	if err := proto.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.GetEntryId() == "" {
		return nil, errNoEntries
	}
	return []*eventsv1.ProvisioningLogEntry{&e}, nil
}

// logParts splits the entries at fresh into parts that fit in limit bytes.
// The split depends only on the entries' stable content, so a redelivered
// OutcomeBatch yields the same parts under the same message ids.
func logParts(entries []*eventsv1.ProvisioningLogEntry, fresh []int, limit int) [][]*eventsv1.ProvisioningLogEntry {
	var parts [][]*eventsv1.ProvisioningLogEntry
	var cur []*eventsv1.ProvisioningLogEntry
	size := 0
	for _, i := range fresh {
		n := stableSize(entries[i])
		if len(cur) > 0 && size+n > limit {
			parts, cur, size = append(parts, cur), nil, 0
		}
		cur, size = append(cur, entries[i]), size+n
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// stableSize bounds an entry's encoded size without what a redelivery
// changes (see entrySizeSlack).
func stableSize(e *eventsv1.ProvisioningLogEntry) int {
	tid, ts := e.TraceId, e.Timestamp
	e.TraceId, e.Timestamp = "", nil
	n := proto.Size(e)
	e.TraceId, e.Timestamp = tid, ts
	return n + entrySizeSlack
}

// logPartID is the Nats-Msg-Id of one part: the configuration (JetStream
// deduplicates per stream), the OutcomeBatch's id and a digest of the
// part's entry ids. A redelivery that logs the same entries is dropped as
// a duplicate; one that logs other entries (ownership moved, see
// counters.own) is not, so nothing it carries is lost to a false duplicate.
func logPartID(cfg, batchID string, part []*eventsv1.ProvisioningLogEntry) string {
	h := fnv.New64a()
	for _, e := range part {
		_, _ = h.Write([]byte(e.GetEntryId()))
		_, _ = h.Write([]byte{0})
	}
	return cfg + "/" + batchID + "/" + strconv.FormatUint(h.Sum64(), 36)
}

// publish stores the entries at fresh on xtsync.logs.<cfg>.<cycle>, one
// ProvisioningLogBatch per part, and waits for JetStream's acks.
func (s *Service) publish(ctx context.Context, cfg, cycle, batchID string, entries []*eventsv1.ProvisioningLogEntry, fresh []int) error {
	subject, err := natsx.LogSubject(cfg, cycle)
	if err != nil {
		return natsx.Permanent(err)
	}
	limit, err := s.logMsgLimit(ctx)
	if err != nil {
		return err
	}
	// One publisher per batch: WaitAll then vouches for this batch only.
	p, err := natsx.NewPublisher(s.d.JetStream, natsx.PublisherOptions{MeterProvider: s.d.MeterProvider})
	if err != nil {
		return fmt.Errorf("synclog: publisher: %w", err)
	}
	for _, part := range logParts(entries, fresh, limit) {
		msg := &eventsv1.ProvisioningLogBatch{ConfigurationId: cfg, CycleId: cycle, Entries: part, OutcomeBatchId: batchID}
		if err := p.Publish(ctx, subject, msg, logPartID(cfg, batchID, part)); err != nil {
			return fmt.Errorf("synclog: publish %d entries of batch %s: %w", len(part), batchID, err)
		}
	}
	if err := p.WaitAll(ctx); err != nil {
		return fmt.Errorf("synclog: publish %d entries of cycle %s: %w", len(fresh), cycle, err)
	}
	return nil
}

// logMsgLimit is the entry bytes one part may hold: XTSYNC_LOGS's
// MaxMsgSize (else the server's max payload) less logMsgOverhead, read once.
func (s *Service) logMsgLimit(ctx context.Context) (int, error) {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	if s.logLimit > 0 {
		return s.logLimit, nil
	}
	st, err := s.d.JetStream.Stream(ctx, natsx.StreamLogs)
	if err != nil {
		return 0, fmt.Errorf("synclog: open %s: %w", natsx.StreamLogs, err)
	}
	limit := int(st.CachedInfo().Config.MaxMsgSize)
	if mp := int(s.d.JetStream.Conn().MaxPayload()); limit <= 0 || (mp > 0 && mp < limit) {
		limit = mp
	}
	s.logLimit = max(limit-logMsgOverhead, logMsgOverhead)
	return s.logLimit, nil
}
