package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// DefaultHTTPListenAddr is -http.listen-addr's default: the port the
// OTel Prometheus exporter conventionally uses.
const DefaultHTTPListenAddr = ":9464"

// HTTPAddr is the address /metrics, /live and /ready are served on (""
// before the http module started or when it is off).
func (a *App) HTTPAddr() string {
	if p := a.obs.httpAddr.Load(); p != nil {
		return *p
	}
	return ""
}

// initHTTP serves /metrics (Prometheus), /live (the process answers) and
// /ready (every module started, none stopping). It listens before the
// other modules start so probes see a starting process, not a dead one.
func (a *App) initHTTP(ctx context.Context) (Service, error) {
	addr := a.cfg.HTTPListenAddr
	if addr == "" {
		return nil, nil
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil && addr == DefaultHTTPListenAddr {
		// Several processes on one host (tests, a laptop cluster) all
		// default to one port; only an explicit address must be had.
		a.log.Warn("metrics endpoint off: default port taken; set -http.listen-addr", "addr", addr, "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("http: listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.obs.tel.MetricsHandler())
	mux.HandleFunc("GET /live", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		if !a.runner.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if a.cfg.HTTPPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index) // Index serves the named profiles too
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	on := lis.Addr().String()
	a.obs.httpAddr.Store(&on)
	a.log.Info("http endpoint listening", "addr", on, "paths", "/metrics /live /ready")
	return ServiceFunc(func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(lis) }()
		select {
		case err := <-errc:
			return fmt.Errorf("http: serve: %w", err)
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}), nil
}
