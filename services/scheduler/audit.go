package scheduler

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
)

// AuditStream is the Redis stream of audit records; each entry has one
// field, AuditField, holding a protojson xtsync.synclog.v1.AuditEntry. The
// log service serves ListAuditLogs from it.
const (
	AuditStream = "xtsync:audit"
	AuditField  = "entry"
)

// audit appends one record per change or admin action. details is the
// request (configurations carry credential references, never secrets); the
// stream is capped approximately at Config.AuditMaxLen. A failed audit
// write is logged, not returned: the change already happened.
func (s *Scheduler) audit(ctx context.Context, action, cfgID string, details proto.Message, err error) {
	actor := "unknown"
	if p, ok := grpcx.PrincipalFrom(ctx); ok {
		actor = p.Name
	}
	result := "success"
	if err != nil {
		result = codeOf(err)
	}
	e := &synclogv1.AuditEntry{
		AuditId: newID(s.now()), Time: timestamppb.New(s.now()), Actor: actor,
		Action: action, ConfigurationId: cfgID, Result: result,
	}
	if details != nil {
		b, merr := protojson.Marshal(details)
		if merr == nil {
			e.DetailsJson = string(b)
		}
	}
	b, merr := protojson.Marshal(e)
	if merr != nil {
		s.log.ErrorContext(ctx, "audit record not encoded", "action", action, "err", merr)
		return
	}
	werr := s.deps.Redis.XAdd(context.WithoutCancel(ctx), &redis.XAddArgs{
		Stream: AuditStream, MaxLen: s.cfg.AuditMaxLen, Approx: true,
		Values: []any{AuditField, string(b)},
	}).Err()
	if werr != nil {
		s.log.ErrorContext(ctx, "audit record lost", "action", action, keyConfiguration, cfgID, "err", fmt.Errorf("xadd: %w", werr))
	}
}
