package synclog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// ListProvisioningLogs pages through a configuration's entries newest
// first. Caller: portals, xtsyncctl logs list.
//
// JetStream reads forward only, so a page is read backwards in windows of
// stream sequences: [hi-w, hi) through an ephemeral consumer filtered by
// xtsync.logs.<cfg>.<cycle|*> (the server skips other configurations and
// cycles), w doubling until the page is full. Each message is one batch of
// entries, read newest entry first. The token is the position of the
// oldest entry returned (message sequence, and index in its batch when the
// page ended inside one): the next page starts below it, so entries logged
// meanwhile never shift pages. ScanLimit bounds the entries one call
// reads; a sparse filter may then return a short page with a token.
func (s *Service) ListProvisioningLogs(ctx context.Context, req *synclogv1.ListProvisioningLogsRequest) (*synclogv1.ListProvisioningLogsResponse, error) {
	f, err := parseFilter(req.GetFilter(), "filter.")
	if err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	var before logCursor
	if req.GetPageToken() != "" {
		if before, err = decodeSeqToken(req.GetPageToken(), f.fingerprint); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(ctx, f.cfg); err != nil {
		return nil, err
	}
	resp, err := s.listLogs(ctx, f, size, before)
	if err != nil {
		return nil, rpcError(ctx, err)
	}
	return resp, nil
}

// firstListWindow is the first window in messages: a batch holds up to a
// few hundred entries, so a few messages usually fill a page.
const firstListWindow = 4

func (s *Service) listLogs(ctx context.Context, f *logFilter, size int, before logCursor) (*synclogv1.ListProvisioningLogsResponse, error) {
	stream, err := s.d.JetStream.Stream(ctx, natsx.StreamLogs)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", natsx.StreamLogs, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s info: %w", natsx.StreamLogs, err)
	}
	first := max(info.State.FirstSeq, 1)
	cur := logCursor{seq: info.State.LastSeq + 1}
	if before.seq != 0 && (before.seq < cur.seq || before.seq == cur.seq && before.idx == 0) {
		cur = before
	}
	resp := &synclogv1.ListProvisioningLogsResponse{}
	window := uint64(firstListWindow)
	scanned, exhausted := 0, false
	for len(resp.Entries) < size && scanned < s.cfg.API.ScanLimit && !exhausted {
		hi := cur.seq // exclusive
		if cur.idx > 0 {
			hi++ // the cursor's own message is read too
		}
		if hi <= first {
			break
		}
		lo := first
		if hi-first > window {
			lo = hi - window
		}
		msgs, err := s.scan(ctx, f.subject, lo, hi)
		if err != nil {
			return nil, err
		}
		at, next := cur, logCursor{seq: lo}
		full := false
		for i := len(msgs) - 1; i >= 0 && !full && !exhausted; i-- {
			m := msgs[i]
			scanned += len(m.entries)
			if f.hasStart && m.stored.Before(f.start) {
				// Store time only grows with the sequence and an entry is
				// stored after it happened: nothing older can match.
				exhausted = true
				break
			}
			n := len(m.entries)
			if m.seq == at.seq && at.idx > 0 {
				n = min(n, at.idx)
			}
			for j := n - 1; j >= 0; j-- {
				if f.match(m.entries[j]) {
					resp.Entries = append(resp.Entries, m.entries[j])
					if len(resp.Entries) == size {
						next, full = logCursor{seq: m.seq, idx: j}, true
						break
					}
				}
			}
		}
		cur = next
		window = min(2*window, 1<<20)
	}
	if (cur.idx > 0 || cur.seq > first) && !exhausted {
		resp.NextPageToken = seqToken(cur, f.fingerprint)
	}
	return resp, nil
}

// stored is one decoded log message.
type stored struct {
	seq     uint64
	stored  time.Time
	entries []*eventsv1.ProvisioningLogEntry
}

// scan reads the messages on subject with sequences in [lo, hi), oldest
// first, through an ephemeral consumer that the server deletes if this
// process dies before it does.
func (s *Service) scan(ctx context.Context, subject string, lo, hi uint64) ([]stored, error) {
	c, err := s.d.JetStream.CreateConsumer(ctx, natsx.StreamLogs, jetstream.ConsumerConfig{
		FilterSubject: subject, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: lo,
		AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute, MemoryStorage: true, Replicas: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s from %d: %w", subject, lo, err)
	}
	defer func() {
		_ = s.d.JetStream.DeleteConsumer(context.WithoutCancel(ctx), natsx.StreamLogs, c.CachedInfo().Name)
	}()
	pending := min(c.CachedInfo().NumPending, hi-lo)
	var out []stored
	for pending > 0 {
		batch, err := c.Fetch(int(min(pending, 1000)), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", subject, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("scan %s: %w", subject, err)
			}
			if meta.Sequence.Stream >= hi {
				return out, nil
			}
			entries, err := decodeLogMsg(m.Data())
			if err != nil {
				s.log.WarnContext(ctx, "synclog: undecodable log message", "seq", meta.Sequence.Stream, "err", err)
				continue
			}
			out = append(out, stored{seq: meta.Sequence.Stream, stored: meta.Timestamp, entries: entries})
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("scan %s: %w", subject, err)
		}
		if got == 0 {
			break
		}
		pending -= min(pending, uint64(got))
	}
	return out, nil
}

// rpcError turns an internal failure into a status: the caller's own
// cancellation or deadline as such, the rest Unavailable (JetStream or
// Redis unreachable, worth a retry).
func rpcError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Errorf(codes.Unavailable, "%v", err)
}
