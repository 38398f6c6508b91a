package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
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
