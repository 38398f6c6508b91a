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
	"google.golang.org/protobuf/proto"

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
// cycles), w doubling until the page is full. The token is the sequence of
// the oldest entry returned: the next page starts below it, so entries
// logged meanwhile never shift pages. ScanLimit bounds the messages one
// call reads; a sparse filter may then return a short page with a token.
func (s *Service) ListProvisioningLogs(ctx context.Context, req *synclogv1.ListProvisioningLogsRequest) (*synclogv1.ListProvisioningLogsResponse, error) {
	f, err := parseFilter(req.GetFilter(), "filter.")
	if err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	var before uint64
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

func (s *Service) listLogs(ctx context.Context, f *logFilter, size int, before uint64) (*synclogv1.ListProvisioningLogsResponse, error) {
	stream, err := s.d.JetStream.Stream(ctx, natsx.StreamLogs)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", natsx.StreamLogs, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s info: %w", natsx.StreamLogs, err)
	}
	first, hi := max(info.State.FirstSeq, 1), info.State.LastSeq+1
	if before != 0 && before < hi {
		hi = before
	}
	resp := &synclogv1.ListProvisioningLogsResponse{}
	// Two pages of sequences first: enough when the subject filter is the
	// only one; sparser filters double it.
	window := uint64(max(2*size, 32))
	scanned, exhausted := 0, false
	for hi > first && len(resp.Entries) < size && scanned < s.cfg.API.ScanLimit && !exhausted {
		lo := first
		if hi-first > window {
			lo = hi - window
		}
		msgs, err := s.scan(ctx, f.subject, lo, hi)
		if err != nil {
			return nil, err
		}
		scanned += len(msgs)
		next := lo
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if f.hasStart && m.stored.Before(f.start) {
				// Store time only grows with the sequence and an entry is
				// stored after it happened: nothing older can match.
				exhausted = true
				break
			}
			if f.match(m.entry) {
				resp.Entries = append(resp.Entries, m.entry)
				if len(resp.Entries) == size {
					next = m.seq
					break
				}
			}
		}
		hi = next
		window = min(2*window, 1<<20)
	}
	if hi > first && !exhausted {
		resp.NextPageToken = seqToken(hi, f.fingerprint)
	}
	return resp, nil
}

// stored is one decoded log message.
type stored struct {
	seq    uint64
	stored time.Time
	entry  *eventsv1.ProvisioningLogEntry
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
			var e eventsv1.ProvisioningLogEntry
			if err := proto.Unmarshal(m.Data(), &e); err != nil {
				s.log.WarnContext(ctx, "synclog: undecodable log entry", "seq", meta.Sequence.Stream, "err", err)
				continue
			}
			out = append(out, stored{seq: meta.Sequence.Stream, stored: meta.Timestamp, entry: &e})
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
