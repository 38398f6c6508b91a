package synclog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/services/synclog"
)

// fill logs n outcomes of cycle in batches of 100, interleaved with a
// batch of another configuration, and waits until they are counted.
// Object i: every 5th fails with EntryConflict, every 7th is a skip, the
// rest alternate create and update.
func (e *env) fill(cycle string, from, n int) {
	e.t.Helper()
	for b := from; b < from+n; b += 100 {
		var outs, other []*eventsv1.WriteOutcome
		for i := b; i < min(b+100, from+n); i++ {
			switch {
			case i%5 == 0:
				outs = append(outs, outcome(cycle, i, create, false, "EntryConflict"))
			case i%7 == 0:
				outs = append(outs, outcome(cycle, i, skip, true, "NotInScope"))
			case i%2 == 0:
				outs = append(outs, outcome(cycle, i, create, true, ""))
			default:
				outs = append(outs, outcome(cycle, i, update, true, ""))
			}
			o := outcome(cycle, i, update, true, "")
			o.ConfigurationId = "cfg2"
			other = append(other, o)
		}
		e.publishBatch(cfgID, cycle, fmt.Sprintf("%s-%d", cycle, b), outs...)
		e.publishBatch("cfg2", cycle, fmt.Sprintf("cfg2-%s-%d", cycle, b), other[:10]...)
	}
	e.progress(cycle, func(p synclog.Progress) bool { return p.Logged == int64(n) })
	require.Eventually(e.t, func() bool { return e.logCount("cfg2", cycle) == uint64((n+99)/100*10) }, defaultWait, tick, "cfg2 has %d", e.logCount("cfg2", cycle))
}

// listAll pages through filter and returns every entry.
func listAll(t *testing.T, c synclogv1.SynclogServiceClient, f *synclogv1.LogFilter, size int32) []*eventsv1.ProvisioningLogEntry {
	t.Helper()
	var out []*eventsv1.ProvisioningLogEntry
	tok := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10_000)
		resp, err := c.ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: f, PageSize: size, PageToken: tok})
		require.NoError(t, err)
		require.LessOrEqual(t, len(resp.GetEntries()), int(size))
		out = append(out, resp.GetEntries()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			return out
		}
	}
}

func TestListProvisioningLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fill("c1", 0, 1500)
	e.fill("c2", 1500, 1000)
	c := e.client(targetTenant)

	// The newest entry (in log order) comes first.
	e.publishBatch(cfgID, "c2", "last", outcome("c2", 2500, update, true, ""))
	e.progress("c2", func(p synclog.Progress) bool { return p.Logged == 1001 })

	all := listAll(t, c, &synclogv1.LogFilter{ConfigurationId: cfgID}, 1000)
	require.Len(t, all, 2501)
	require.Equal(t, "src-02500", all[0].GetSource().GetObjectId())
	seen := map[string]bool{}
	for _, en := range all {
		require.False(t, seen[en.GetEntryId()], "entry %s twice", en.GetEntryId())
		seen[en.GetEntryId()] = true
		require.Equal(t, cfgID, en.GetConfigurationId())
	}
	// Small pages walk the same order, without gaps or repeats.
	pages := listAll(t, c, &synclogv1.LogFilter{ConfigurationId: cfgID}, 7)
	require.Len(t, pages, len(all))
	for i := range all {
		require.Equal(t, all[i].GetEntryId(), pages[i].GetEntryId())
	}

	small := listAll(t, c, &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: "c2"}, 100)
	require.Len(t, small, 1001)
	for _, en := range small {
		require.Equal(t, "c2", en.GetCycleId())
	}

	count := func(f *synclogv1.LogFilter) int { f.ConfigurationId = cfgID; return len(listAll(t, c, f, 250)) }
	require.Equal(t, 500, count(&synclogv1.LogFilter{Status: eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE}))
	require.Equal(t, 500, count(&synclogv1.LogFilter{Code: "EntryConflict"}))
	skipped := 0
	for i := range 2500 {
		if i%5 != 0 && i%7 == 0 {
			skipped++
		}
	}
	require.Equal(t, skipped, count(&synclogv1.LogFilter{Action: skip}))
	require.Equal(t, skipped, count(&synclogv1.LogFilter{Status: eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED, CycleId: ""}))
	require.Equal(t, 300, count(&synclogv1.LogFilter{Code: "EntryConflict", CycleId: "c1"}))
	require.Equal(t, 1, count(&synclogv1.LogFilter{ObjectId: "src-01234"}))
	require.Equal(t, 1, count(&synclogv1.LogFilter{ObjectId: "tgt-01234"}))
	require.Equal(t, 0, count(&synclogv1.LogFilter{ObjectId: "src-01234", CycleId: "c2"}))

	// Entry i finished at base + i seconds: [1000, 1099] by time.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	byTime := listAll(t, c, &synclogv1.LogFilter{ConfigurationId: cfgID,
		StartTime: timestamppb.New(base.Add(1000 * time.Second)), EndTime: timestamppb.New(base.Add(1099 * time.Second))}, 30)
	require.Len(t, byTime, 100)
	require.Equal(t, "src-01099", byTime[0].GetSource().GetObjectId())

	// The other configuration's caller sees only its own.
	other := e.client("other-tgt")
	require.Len(t, listAll(t, other, &synclogv1.LogFilter{ConfigurationId: "cfg2"}, 1000), 250)
	_, err := other.ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: cfgID}})
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	// A token is bound to its filter.
	resp, err := c.ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{Filter: &synclogv1.LogFilter{ConfigurationId: cfgID}, PageSize: 10})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetNextPageToken())
	_, err = c.ListProvisioningLogs(ctxT(t), &synclogv1.ListProvisioningLogsRequest{
		Filter: &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: "c1"}, PageToken: resp.GetNextPageToken()})
	requireInvalid(t, err, "page_token")
}

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), field)
}
