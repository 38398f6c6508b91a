package synclog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// Tail replays what was logged since start_time, then follows new entries,
// filtered, until the client cancels.
func TestTailReplaysThenFollows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fill("t1", 0, 30)
	c := e.client(sourceTenant)
	ctx, cancel := context.WithCancel(ctxT(t))
	stream, err := c.TailProvisioningLogs(ctx, &synclogv1.TailProvisioningLogsRequest{Filter: &synclogv1.LogFilter{
		ConfigurationId: cfgID, CycleId: "t1", StartTime: timestamppb.New(time.Unix(0, 0)), Action: update}})
	require.NoError(t, err)
	recv := func() string {
		resp, err := stream.Recv()
		require.NoError(t, err)
		require.Equal(t, update, resp.GetEntry().GetAction())
		return resp.GetEntry().GetSource().GetObjectId()
	}
	// Replay: the updates among 0..29 (odd, not multiples of 5 or 7), in log order.
	for i := range 30 {
		if i%2 == 1 && i%5 != 0 && i%7 != 0 {
			require.Equal(t, fmt.Sprintf("src-%05d", i), recv())
		}
	}
	// Follow: new entries arrive as they are logged; other cycles are filtered out.
	e.publishBatch(cfgID, "t2", "t2-0", outcome("t2", 100, update, true, ""))
	e.publishBatch(cfgID, "t1", "t1-live", outcome("t1", 101, update, true, ""), outcome("t1", 102, create, true, ""))
	require.Equal(t, "src-00101", recv())
	cancel()
	_, err = stream.Recv()
	require.Equal(t, codes.Canceled, status.Code(err))
}

// Stopping the service ends open tails with Unavailable instead of
// holding up a graceful stop.
func TestTailEndsWhenServiceStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(targetTenant)
	stream, err := c.TailProvisioningLogs(ctxT(t), &synclogv1.TailProvisioningLogsRequest{Filter: &synclogv1.LogFilter{
		ConfigurationId: cfgID, StartTime: timestamppb.New(time.Unix(0, 0))}}) // replay: the server may subscribe after the publish
	require.NoError(t, err)
	e.publishBatch(cfgID, "s1", "s1-0", outcome("s1", 1, update, true, ""))
	resp, err := stream.Recv()
	require.NoError(t, err)
	require.Equal(t, "src-00001", resp.GetEntry().GetSource().GetObjectId())
	e.stop()
	_, err = stream.Recv()
	require.Equal(t, codes.Unavailable, status.Code(err))
}
