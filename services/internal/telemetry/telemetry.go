package telemetry

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Config is the tracing configuration of a process.
type Config struct {
	// OTLPEndpoint is the OTLP/gRPC collector (Jaeger, an OTel
	// collector): host:port, or a URL (http:// means plaintext). Empty
	// exports nothing.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// OTLPInsecure sends to a host:port endpoint without TLS.
	OTLPInsecure bool `yaml:"otlp_insecure"`
	// SampleRatio is the share of new traces (cycles, API calls) kept;
	// spans with a parent follow the parent's decision, so a cycle's
	// trace is kept or dropped whole.
	SampleRatio float64 `yaml:"sample_ratio"`
	// InstanceID is service.instance.id; default the host name and pid.
	InstanceID string `yaml:"instance_id"`
}

// RegisterFlags registers the flags under prefix ("tracing.").
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	f.StringVar(&c.OTLPEndpoint, prefix+"otlp-endpoint", "", "OTLP/gRPC trace collector, host:port or http(s)://host:port; empty exports no spans.")
	f.BoolVar(&c.OTLPInsecure, prefix+"otlp-insecure", false, "Send spans to a host:port endpoint without TLS.")
	f.Float64Var(&c.SampleRatio, prefix+"sample-ratio", 1, "Share of new traces kept (0..1); children follow their parent, so a cycle is kept whole.")
	f.StringVar(&c.InstanceID, prefix+"instance-id", "", "service.instance.id of this process; empty: host name and pid.")
}

// Validate checks the values.
func (c Config) Validate() error {
	var errs []error
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("tracing.sample-ratio %v must be within [0, 1]", c.SampleRatio))
	}
	if e := c.OTLPEndpoint; e != "" && !strings.Contains(e, "://") && !strings.Contains(e, ":") {
		errs = append(errs, fmt.Errorf("tracing.otlp-endpoint %q: want host:port or a URL", e))
	}
	return errors.Join(errs...)
}

// Options are what the process adds to the Config.
type Options struct {
	// ServiceName is service.name: the process's -target ("all",
	// "writer", "reader,transformer").
	ServiceName string
	// SpanExporter, when set, receives every span synchronously and
	// everything is sampled (tests use tracetest.InMemoryExporter).
	SpanExporter sdktrace.SpanExporter
}

// Telemetry holds the process's providers and the Prometheus registry.
type Telemetry struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Registry       *prometheus.Registry
	Propagator     propagation.TextMapPropagator
}

// New builds the providers. Nothing is sent anywhere until spans end (and
// then only with an endpoint or SpanExporter).
func New(ctx context.Context, cfg Config, o Options) (*Telemetry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.ServiceName == "" {
		o.ServiceName = "xtsync"
	}
	instance := cfg.InstanceID
	if instance == "" {
		host, _ := os.Hostname()
		instance = host + "-" + strconv.Itoa(os.Getpid())
	}
	// NewSchemaless: merging with Default() fails when the SDK's schema
	// URL and semconv's differ; these attributes need no schema.
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(o.ServiceName),
		semconv.ServiceNamespace("xtsync"),
		semconv.ServiceInstanceID(instance),
	))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}

	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch {
	case o.SpanExporter != nil:
		topts = append(topts, sdktrace.WithSyncer(o.SpanExporter), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	default:
		topts = append(topts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))))
		if cfg.OTLPEndpoint != "" {
			exp, err := otlptracegrpc.New(ctx, otlpOptions(cfg)...)
			if err != nil {
				return nil, fmt.Errorf("telemetry: otlp exporter %s: %w", cfg.OTLPEndpoint, err)
			}
			topts = append(topts, sdktrace.WithBatcher(exp))
		}
	}
	tp := sdktrace.NewTracerProvider(topts...)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp),
		sdkmetric.WithView(latencyBuckets))
	return &Telemetry{
		TracerProvider: tp, MeterProvider: mp, Registry: reg,
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// latencyBuckets gives second-valued histograms buckets from 1 ms to 2
// min: the SDK default (0..10000) is made for milliseconds, and Graph
// calls under throttling wait for tens of seconds.
func latencyBuckets(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
	if i.Kind != sdkmetric.InstrumentKindHistogram || i.Unit != "s" {
		return sdkmetric.Stream{}, false
	}
	return sdkmetric.Stream{Name: i.Name, Description: i.Description, Unit: i.Unit, Aggregation: sdkmetric.AggregationExplicitBucketHistogram{
		Boundaries: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}}, true
}

func otlpOptions(cfg Config) []otlptracegrpc.Option {
	e := cfg.OTLPEndpoint
	if strings.Contains(e, "://") {
		return []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(e)}
	}
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(e)}
	if cfg.OTLPInsecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	return opts
}

// SetGlobal installs the providers and the propagator as the OTel
// globals, for the libraries that only read those (otelgrpc, kiota).
func (t *Telemetry) SetGlobal() {
	otel.SetTracerProvider(t.TracerProvider)
	otel.SetMeterProvider(t.MeterProvider)
	otel.SetTextMapPropagator(t.Propagator)
}

// MetricsHandler serves the registry in the Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{Registry: t.Registry})
}

// Shutdown flushes the spans still queued and stops the providers; ctx
// bounds the flush (an unreachable collector must not hold the stop).
func (t *Telemetry) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return errors.Join(t.TracerProvider.Shutdown(ctx), t.MeterProvider.Shutdown(ctx))
}
