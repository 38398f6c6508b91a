package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/telemetry"
)

// TestHTTPReadyFollowsRunner: /ready answers 503 until the runner has
// started every module and again once it stops them; /live answers 200
// throughout; an explicit address that is taken fails the start.
func TestHTTPReadyFollowsRunner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Config{SampleRatio: 1}, telemetry.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(ctx)) }()
	a := &App{cfg: Config{HTTPListenAddr: "127.0.0.1:0"}, log: slog.New(slog.DiscardHandler), runner: &Runner{}}
	a.obs.tel = tel
	svc, err := a.initHTTP(ctx)
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	base := "http://" + a.HTTPAddr()

	get := func(path string) int {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for _, step := range []struct {
		ready     bool
		wantReady int
	}{
		{false, http.StatusServiceUnavailable}, // starting
		{true, http.StatusOK},                  // every module running
		{false, http.StatusServiceUnavailable}, // draining
	} {
		a.runner.ready.Store(step.ready)
		require.Equal(t, step.wantReady, get("/ready"))
		require.Equal(t, http.StatusOK, get("/live"))
		require.Equal(t, http.StatusOK, get("/metrics"))
	}

	taken := &App{cfg: Config{HTTPListenAddr: a.HTTPAddr()}, log: a.log, runner: &Runner{}}
	taken.obs.tel = tel
	_, err = taken.initHTTP(ctx)
	require.ErrorContains(t, err, "listen")

	stop()
	require.NoError(t, <-done)
}

type closeCounter struct {
	http.RoundTripper
	closed int
}

func (c *closeCounter) CloseIdleConnections() { c.closed++ }

// TestInstrumentGraph: Graph calls through the instrumented client are
// measured by method and status (transport failures as "error"), and
// graph.Client.Close still reaches the base transport's idle connections.
func TestInstrumentGraph(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Config{SampleRatio: 1}, telemetry.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(ctx)) }()
	a := &App{log: slog.New(slog.DiscardHandler)}
	a.obs.tel = tel
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/throttled" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	base := &closeCounter{RoundTripper: http.DefaultTransport.(*http.Transport).Clone()}
	hc, err := a.instrumentGraph(&http.Client{Transport: base})
	require.NoError(t, err)

	for _, tc := range []struct {
		method, url string
		wantErr     bool
	}{
		{http.MethodGet, srv.URL + "/ok", false},
		{http.MethodPost, srv.URL + "/throttled", false},
		{http.MethodGet, "http://127.0.0.1:1/refused", true},
	} {
		req, err := http.NewRequestWithContext(ctx, tc.method, tc.url, nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		if tc.wantErr {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	hc.Transport.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	require.Equal(t, 1, base.closed)

	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`xtsync_graph_request_duration_seconds_count{host="127.0.0.1",method="GET",status="200"} 1`,
		`xtsync_graph_request_duration_seconds_count{host="127.0.0.1",method="POST",status="429"} 1`,
		`xtsync_graph_request_duration_seconds_count{host="127.0.0.1",method="GET",status="error"} 1`,
	} {
		require.Contains(t, body, want)
	}
}
