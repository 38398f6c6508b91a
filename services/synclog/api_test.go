package synclog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/services/synclog"
)

func TestListAuditLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1200 {
		cfg := cfgID
		if i%4 == 3 {
			cfg = "cfg2"
		}
		_, err := synclog.AppendAudit(ctxT(t), e.rdb, &synclogv1.AuditEntry{
			Time: timestamppb.New(base.Add(time.Duration(i) * time.Second)), Actor: "admin@contoso.example",
			Action: "UpdateConfiguration", ConfigurationId: cfg, DetailsJson: fmt.Sprintf(`{"n":%d}`, i), Result: "success"})
		require.NoError(t, err)
	}
	// A record as the scheduler writes it: the "entry" field only.
	raw, err := protojson.Marshal(&synclogv1.AuditEntry{AuditId: "sched-1", Action: "PauseJob", ConfigurationId: cfgID, DetailsJson: `{"n":1200}`})
	require.NoError(t, err)
	require.NoError(t, e.rdb.XAdd(ctxT(t), &redis.XAddArgs{Stream: synclog.AuditStreamKey, Values: []any{synclog.AuditFieldEntry, string(raw)}}).Err())
	c := e.client(sourceTenant)
	var got []*synclogv1.AuditEntry
	var resp *synclogv1.ListAuditLogsResponse
	tok := ""
	for {
		resp, err = c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{ConfigurationId: cfgID, PageSize: 200, PageToken: tok})
		require.NoError(t, err)
		got = append(got, resp.GetEntries()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	require.Len(t, got, 901)
	require.Equal(t, "sched-1", got[0].GetAuditId(), "newest first")
	require.Equal(t, `{"n":1198}`, got[1].GetDetailsJson())
	require.Equal(t, `{"n":0}`, got[900].GetDetailsJson())
	for _, a := range got {
		require.Equal(t, cfgID, a.GetConfigurationId())
		require.NotEmpty(t, a.GetAuditId())
	}

	// Time bounds select by the stream id (the time it was appended).
	now := time.Now()
	resp, err = c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{ConfigurationId: cfgID,
		StartTime: timestamppb.New(now.Add(time.Hour))})
	require.NoError(t, err)
	require.Empty(t, resp.GetEntries())

	_, err = c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{ConfigurationId: "cfg2"})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := &synclogv1.LogFilter{ConfigurationId: cfgID}
	_, err := e.client().ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: f})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
	_, err = e.client("someone-else").ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: f})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	stream, err := e.client("someone-else").TailProvisioningLogs(ctxT(t), &synclogv1.TailProvisioningLogsRequest{Filter: f})
	require.NoError(t, err)
	_, err = stream.Recv()
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = e.client(sourceTenant).ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: "nope"}})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.client().ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: "nope"}})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "no probing of ids without credentials")
	resp, err := e.client(sourceTenant).ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: f})
	require.NoError(t, err)
	require.Empty(t, resp.GetEntries())
	require.Empty(t, resp.GetNextPageToken())
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(sourceTenant)
	ok := func() *synclogv1.LogFilter { return &synclogv1.LogFilter{ConfigurationId: cfgID} }
	list := func(f *synclogv1.LogFilter, size int32, tok string) error {
		_, err := c.ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: f, PageSize: size, PageToken: tok})
		return err
	}
	with := func(m func(f *synclogv1.LogFilter)) *synclogv1.LogFilter { f := ok(); m(f); return f }
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"no filter", "filter.configuration_id", list(nil, 0, "")},
		{"no configuration", "filter.configuration_id", list(&synclogv1.LogFilter{}, 0, "")},
		{"wildcard configuration", "filter.configuration_id", list(&synclogv1.LogFilter{ConfigurationId: "cfg.*"}, 0, "")},
		{"bad cycle", "filter.cycle_id", list(with(func(f *synclogv1.LogFilter) { f.CycleId = "a b" }), 0, "")},
		{"reserved cycle", "filter.cycle_id", list(with(func(f *synclogv1.LogFilter) { f.CycleId = "lock" }), 0, "")},
		{"unknown action", "filter.action", list(with(func(f *synclogv1.LogFilter) { f.Action = 99 }), 0, "")},
		{"unknown status", "filter.status", list(with(func(f *synclogv1.LogFilter) { f.Status = eventsv1.ProvisioningStatus(-1) }), 0, "")},
		{"long code", "filter.code", list(with(func(f *synclogv1.LogFilter) { f.Code = string(make([]byte, 200)) }), 0, "")},
		{"bad start", "filter.start_time", list(with(func(f *synclogv1.LogFilter) { f.StartTime = &timestamppb.Timestamp{Nanos: -1} }), 0, "")},
		{"end before start", "filter.end_time", list(with(func(f *synclogv1.LogFilter) {
			f.StartTime, f.EndTime = timestamppb.New(time.Unix(100, 0)), timestamppb.New(time.Unix(50, 0))
		}), 0, "")},
		{"negative page size", "page_size", list(ok(), -1, "")},
		{"huge page size", "page_size", list(ok(), 1001, "")},
		{"token not base64", "page_token", list(ok(), 0, "%%%")},
		{"token garbage", "page_token", list(ok(), 0, "Z2FyYmFnZQ")},
		{"audit no configuration", "configuration_id", func() error {
			_, err := c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{})
			return err
		}()},
		{"audit page size", "page_size", func() error {
			_, err := c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{ConfigurationId: cfgID, PageSize: 5000})
			return err
		}()},
		{"audit token", "page_token", func() error {
			_, err := c.ListAuditLogs(ctxT(t), &synclogv1.ListAuditLogsRequest{ConfigurationId: cfgID, PageToken: "YTp4OnkK"})
			return err
		}()},
		{"tail without configuration", "filter.configuration_id", func() error {
			s, err := c.TailProvisioningLogs(ctxT(t), &synclogv1.TailProvisioningLogsRequest{})
			require.NoError(t, err)
			_, err = s.Recv()
			return err
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) { requireInvalid(t, tc.err, tc.field) })
	}
}
