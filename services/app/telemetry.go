package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/telemetry"
)

// Observability modules: every other module depends on them, so the
// providers exist before anything is traced and /metrics, /live and
// /ready answer while the rest starts and drains.
const (
	ModTelemetry = "telemetry"
	ModHTTP      = "http"
	ModObserve   = "observe"
)

const meterName = "github.com/xtsync/xtsync/services/app"

// observability is the App's share of telemetry state.
type observability struct {
	service  string // service.name: the -target
	tel      *telemetry.Telemetry
	httpAddr atomic.Pointer[string]
}

func (a *App) registerObservability() {
	a.reg.Register(Module{Name: ModTelemetry, Init: a.initTelemetry})
	a.reg.Register(Module{Name: ModHTTP, Deps: []string{ModTelemetry}, Init: a.initHTTP})
	a.reg.Register(Module{Name: ModObserve, Deps: []string{ModTopology, ModRedis}, Init: a.initObserve})
}

// tracerProvider and meterProvider are the process's providers; valid in
// every Init after the telemetry module's.
func (a *App) tracerProvider() trace.TracerProvider { return a.obs.tel.TracerProvider }
func (a *App) meterProvider() metric.MeterProvider  { return a.obs.tel.MeterProvider }

func (a *App) initTelemetry(ctx context.Context) (Service, error) {
	name := a.obs.service
	if name == "" {
		name = All
	}
	tel, err := telemetry.New(ctx, a.cfg.Tracing, telemetry.Options{ServiceName: name, SpanExporter: a.opts.SpanExporter})
	if err != nil {
		return nil, err
	}
	if a.opts.SetGlobals {
		tel.SetGlobal()
	}
	a.obs.tel = tel
	a.http, err = a.instrumentGraph(a.http)
	if err != nil {
		_ = tel.Shutdown(ctx)
		return nil, err
	}
	if a.cfg.Tracing.OTLPEndpoint != "" {
		a.log.Info("tracing to OTLP", "endpoint", a.cfg.Tracing.OTLPEndpoint, "sample_ratio", a.cfg.Tracing.SampleRatio)
	}
	return ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		// Stops last: the spans of every drained module are flushed.
		return tel.Shutdown(context.WithoutCancel(ctx))
	}), nil
}

// instrumentGraph wraps the base transport of every Graph client of the
// process (source, target, test connection): a client span per HTTP
// attempt (each SDK retry and each 429 is its own span) and
// xtsync.graph.request.duration by method and status.
func (a *App) instrumentGraph(hc *http.Client) (*http.Client, error) {
	var base http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	out := &http.Client{}
	if hc != nil {
		*out = *hc
		if hc.Transport != nil {
			base = hc.Transport
		}
	}
	dur, err := a.meterProvider().Meter(meterName).Float64Histogram("xtsync.graph.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Graph HTTP requests (each attempt, token requests included), by method, status and host."))
	if err != nil {
		return nil, err
	}
	out.Transport = closer{base: base, RoundTripper: otelhttp.NewTransport(graphMetrics{next: base, dur: dur},
		otelhttp.WithTracerProvider(a.tracerProvider()), otelhttp.WithMeterProvider(a.meterProvider()),
		otelhttp.WithPropagators(a.obs.tel.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "graph " + r.Method }))}
	return out, nil
}

// closer keeps graph.Client.Close working through the wrappers:
// otelhttp's Transport has no CloseIdleConnections.
type closer struct {
	http.RoundTripper
	base http.RoundTripper
}

func (c closer) CloseIdleConnections() {
	if ci, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type graphMetrics struct {
	next http.RoundTripper
	dur  metric.Float64Histogram
}

func (g graphMetrics) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := g.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	g.dur.Record(r.Context(), time.Since(start).Seconds(), metric.WithAttributes(
		attribute.String("method", r.Method), attribute.String("status", status),
		attribute.String("host", r.URL.Hostname())))
	return resp, err
}

// meteredLimiter counts what the writers take from the shared write budget
// and the pauses Graph imposed (429 with Retry-After).
type meteredLimiter struct {
	redisx.RateLimiter
	taken, backoffs metric.Int64Counter
}

func (a *App) meterLimiter(l redisx.RateLimiter) (redisx.RateLimiter, error) {
	m := a.meterProvider().Meter(meterName)
	taken, err := m.Int64Counter("xtsync.writer.budget.taken", metric.WithUnit("{write}"),
		metric.WithDescription("Writes taken from the shared per-tenant write budget, by target tenant."))
	if err != nil {
		return nil, err
	}
	backoffs, err := m.Int64Counter("xtsync.writer.budget.backoffs",
		metric.WithDescription("Pauses of a tenant's write budget on Graph's Retry-After (429), by target tenant."))
	if err != nil {
		return nil, err
	}
	limit := a.cfg.Writer.Limit()
	if _, err := m.Int64ObservableGauge("xtsync.writer.budget.limit", metric.WithUnit("{write}"),
		metric.WithDescription("Writes per minute each target tenant's budget allows (compare with rate(xtsync_writer_budget_taken_total))."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(float64(limit.Rate) * float64(time.Minute) / float64(limit.Period)))
			return nil
		})); err != nil {
		return nil, err
	}
	return meteredLimiter{RateLimiter: l, taken: taken, backoffs: backoffs}, nil
}

func tenantOpt(tenant string) metric.AddOption {
	return metric.WithAttributes(attribute.String("target_tenant_id", tenant))
}

func (l meteredLimiter) Reserve(ctx context.Context, tenant string, n int) (time.Duration, error) {
	d, err := l.RateLimiter.Reserve(ctx, tenant, n)
	if err == nil && d == 0 {
		l.taken.Add(ctx, int64(n), tenantOpt(tenant))
	}
	return d, err
}

func (l meteredLimiter) Wait(ctx context.Context, tenant string, n int) error {
	err := l.RateLimiter.Wait(ctx, tenant, n)
	if err == nil {
		l.taken.Add(ctx, int64(n), tenantOpt(tenant))
	}
	return err
}

func (l meteredLimiter) Backoff(ctx context.Context, tenant string, d time.Duration) error {
	l.backoffs.Add(ctx, 1, tenantOpt(tenant))
	return l.RateLimiter.Backoff(ctx, tenant, d)
}

// serviceName is service.name for targets: "all" or the comma list.
func serviceName(targets []string) string {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, ",")
}
