package app_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

func httpGet(ctx context.Context, t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestHTTPEndpoint: the all-in-one process serves /live and /ready, and
// after one cycle /metrics has every series an SRE's dashboard and
// alerts use (docs/observability.md), in the Prometheus text format.
func TestHTTPEndpoint(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := startObservedWorld(t, ctx, 6, nil)
	base := "http://" + w.app.HTTPAddr()
	require.NotEqual(t, "http://", base)

	code, body := httpGet(ctx, t, base+"/live")
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool {
		code, _ := httpGet(ctx, t, base+"/ready")
		return code == http.StatusOK
	}, cycleWait, 20*time.Millisecond, "/ready flips to 200 once every module runs")

	_, err := w.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: w.cfgID})
	require.NoError(t, err)
	p := w.waitCycle(ctx, w.job(ctx).GetCurrentCycle().GetCycleId())
	require.Positive(t, p.Succeeded)

	want := []string{
		// objects processed, by action and status
		`xtsync_synclog_objects_total{action="[A-Za-z]+",status="[A-Za-z]+"}`,
		`xtsync_transformer_objects_total{`,
		`xtsync_writer_intents_total{`,
		// cycle duration
		`xtsync_synclog_cycle_duration_seconds_bucket{`,
		`xtsync_reader_cycles_total{`,
		// queue lag per consumer
		`xtsync_jetstream_consumer_pending{consumer="writer-shard-0",stream="XTSYNC_INTENTS"} \d+`,
		`xtsync_jetstream_consumer_ack_pending{consumer="transformer-shard-0",stream="XTSYNC_CHANGES"} \d+`,
		`xtsync_jetstream_consumer_pending{consumer="synclog-outcomes",stream="XTSYNC_OUTCOMES"}`,
		// write budget and throttling
		`xtsync_writer_budget_taken_total{target_tenant_id="` + w.target.ID() + `"} \d+`,
		`xtsync_writer_budget_limit `,
		`xtsync_writer_limiter_wait_seconds_bucket{`,
		// Graph latency by method and status
		`xtsync_graph_request_duration_seconds_bucket{host="[^"]+",method="POST",status="200",le="0.25"}`,
		`xtsync_writer_graph_batch_duration_seconds_bucket{`,
		// escrow and quarantine
		`xtsync_escrow_objects{configuration_id="` + w.cfgID + `"} 0`,
		`xtsync_quarantine_configurations{reason=""} 0`,
		`xtsync_synclog_escrowed_objects{`,
		// plumbing
		`xtsync_natsx_published_total{`,
		`xtsync_natsx_handler_duration_seconds_bucket{`,
		`target_info{.*service_name="all"`,
		`go_goroutines `,
	}
	// Gauges are polled; counters land as the stages finish.
	var missing []string
	for range 100 {
		_, metrics := httpGet(ctx, t, base+"/metrics")
		missing = missing[:0]
		for _, re := range want {
			if !regexp.MustCompile(re).MatchString(metrics) {
				missing = append(missing, re)
			}
		}
		if len(missing) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Empty(t, missing, "series missing from /metrics")
}
