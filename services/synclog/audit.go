package synclog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// The audit log is one Redis stream written by the scheduler (every
// configuration change and admin action) and read by ListAuditLogs.
const (
	// AuditStreamKey is the stream. It has no hash tag: it spans
	// configurations (one key, one cluster slot).
	AuditStreamKey = "xtsync:audit"
	// AuditFieldEntry holds the AuditEntry as protojson.
	AuditFieldEntry = "entry"
	// AuditFieldConfiguration, optional, repeats the configuration id so a
	// scan can filter without decoding (records with only "entry", as the
	// scheduler writes them, are decoded and compared).
	AuditFieldConfiguration = "cfg"
	// auditMaxLen caps the stream (approximately, MAXLEN ~).
	auditMaxLen = 1_000_000
)

// AppendAudit writes one audit entry and returns its stream id. Called by
// the scheduler; owning the format here keeps writer and reader in step.
// An empty audit_id becomes the stream id, an empty time now.
func AppendAudit(ctx context.Context, rdb redis.UniversalClient, e *synclogv1.AuditEntry) (string, error) {
	if e.GetConfigurationId() == "" {
		return "", errors.New("synclog: audit entry without configuration id")
	}
	if e.GetTime() == nil {
		e = proto.CloneOf(e)
		e.Time = timestamppb.Now()
	}
	data, err := protojson.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("synclog: encode audit entry: %w", err)
	}
	id, err := rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: AuditStreamKey, MaxLen: auditMaxLen, Approx: true,
		Values: []any{AuditFieldConfiguration, e.GetConfigurationId(), AuditFieldEntry, string(data)},
	}).Result()
	if err != nil {
		return "", fmt.Errorf("synclog: append audit entry: %w", err)
	}
	return id, nil
}

// ListAuditLogs pages through one configuration's audit entries newest
// first. Caller: portals, xtsyncctl audit list. The stream is read with
// XREVRANGE in chunks, bounded by ScanLimit records per call (the stream
// holds every configuration); the token is the last stream id read.
func (s *Service) ListAuditLogs(ctx context.Context, req *synclogv1.ListAuditLogsRequest) (*synclogv1.ListAuditLogsResponse, error) {
	cfg := req.GetConfigurationId()
	if cfg == "" {
		return nil, invalid("configuration_id", "required")
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	lo, hi := "-", "+"
	if ts := req.GetStartTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, invalid("start_time", "%v", err)
		}
		lo = strconv.FormatInt(max(ts.AsTime().UnixMilli(), 0), 10)
	}
	if ts := req.GetEndTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, invalid("end_time", "%v", err)
		}
		if req.GetStartTime() != nil && ts.AsTime().Before(req.GetStartTime().AsTime()) {
			return nil, invalid("end_time", "before start_time")
		}
		hi = strconv.FormatInt(max(ts.AsTime().UnixMilli(), 0), 10)
	}
	fp := fmt.Sprintf("%s|%s|%s", cfg, lo, hi)
	if tok := req.GetPageToken(); tok != "" {
		pos, err := decodeToken(tok, "a", fp)
		if err != nil {
			return nil, err
		}
		if !validStreamID(pos) {
			return nil, invalid("page_token", "malformed")
		}
		hi = "(" + pos
	}
	if err := s.authorize(ctx, cfg); err != nil {
		return nil, err
	}
	resp, err := s.listAudit(ctx, cfg, lo, hi, size, fp)
	if err != nil {
		return nil, rpcError(ctx, err)
	}
	return resp, nil
}

func (s *Service) listAudit(ctx context.Context, cfg, lo, hi string, size int, fp string) (*synclogv1.ListAuditLogsResponse, error) {
	resp := &synclogv1.ListAuditLogsResponse{}
	const chunk = 500
	scanned := 0
	for scanned < s.cfg.API.ScanLimit {
		msgs, err := s.d.Redis.XRevRangeN(ctx, AuditStreamKey, hi, lo, chunk).Result()
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		scanned += len(msgs)
		for _, m := range msgs {
			hi = "(" + m.ID
			if c, ok := m.Values[AuditFieldConfiguration]; ok && c != cfg {
				continue // skipped without decoding
			}
			raw, _ := m.Values[AuditFieldEntry].(string)
			var e synclogv1.AuditEntry
			if err := protojson.Unmarshal([]byte(raw), &e); err != nil {
				s.log.WarnContext(ctx, "synclog: undecodable audit entry", "id", m.ID, "err", err)
				continue
			}
			if e.GetConfigurationId() != cfg {
				continue
			}
			if e.AuditId == "" {
				e.AuditId = m.ID
			}
			resp.Entries = append(resp.Entries, &e)
			if len(resp.Entries) == size {
				resp.NextPageToken = encodeToken("a", m.ID, fp)
				return resp, nil
			}
		}
		if len(msgs) < chunk {
			return resp, nil // the range is exhausted
		}
	}
	resp.NextPageToken = encodeToken("a", strings.TrimPrefix(hi, "("), fp)
	return resp, nil
}

// validStreamID accepts "<ms>-<seq>".
func validStreamID(id string) bool {
	ms, seq, ok := strings.Cut(id, "-")
	if !ok {
		return false
	}
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return err1 == nil && err2 == nil
}
