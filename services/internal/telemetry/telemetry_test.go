package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"off", Config{SampleRatio: 1}, ""},
		{"host port", Config{OTLPEndpoint: "jaeger:4317", SampleRatio: 0.1}, ""},
		{"url", Config{OTLPEndpoint: "http://jaeger:4317", SampleRatio: 0}, ""},
		{"ratio above one", Config{SampleRatio: 1.5}, "sample-ratio"},
		{"negative ratio", Config{SampleRatio: -0.1}, "sample-ratio"},
		{"no port", Config{OTLPEndpoint: "jaeger", SampleRatio: 1}, "otlp-endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// The Prometheus names an SRE's queries use come from the OTel names by
// the exporter's translation; this pins it.
func TestMetricsHandlerNames(t *testing.T) {
	ctx := context.Background()
	tel, err := New(ctx, Config{SampleRatio: 1}, Options{ServiceName: "writer"})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(ctx)) }()

	m := tel.MeterProvider.Meter("test")
	c, err := m.Int64Counter("xtsync.writer.intents")
	require.NoError(t, err)
	c.Add(ctx, 3)
	h, err := m.Float64Histogram("xtsync.graph.request.duration", metric.WithUnit("s"))
	require.NoError(t, err)
	h.Record(ctx, 0.2)
	g, err := m.Int64Gauge("xtsync.jetstream.consumer.pending", metric.WithUnit("{message}"))
	require.NoError(t, err)
	g.Record(ctx, 7)

	srv := httptest.NewServer(tel.MetricsHandler())
	defer srv.Close()
	body := get(t, srv.URL)
	for _, want := range []string{
		"xtsync_writer_intents_total 3",
		`xtsync_graph_request_duration_seconds_bucket{le="0.25"} 1`,
		"xtsync_jetstream_consumer_pending 7",
		`target_info{`, `service_name="writer"`,
		"go_goroutines",
	} {
		require.Contains(t, body, want)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

func TestSpanExporterSeesEverySpan(t *testing.T) {
	ctx := context.Background()
	exp := tracetest.NewInMemoryExporter()
	tel, err := New(ctx, Config{SampleRatio: 0}, Options{ServiceName: "all", SpanExporter: exp})
	require.NoError(t, err)
	_, span := tel.TracerProvider.Tracer("t").Start(ctx, "cycle")
	span.End()
	// Read before Shutdown: the in-memory exporter forgets on shutdown.
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	require.Equal(t, "cycle", spans[0].Name)
	require.NoError(t, tel.Shutdown(ctx))
}

// collector is an OTLP/gRPC trace receiver: the real exporter, the real
// wire, no Jaeger.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
	attrs []string
}

func (c *collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			c.attrs = append(c.attrs, a.GetKey()+"="+a.GetValue().GetStringValue())
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.names = append(c.names, s.GetName())
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func TestOTLPExportFlushedOnShutdown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint func(addr string) string
		insecure bool
		ratio    float64
		want     []string
	}{
		{"host port insecure", func(a string) string { return a }, true, 1, []string{"kept"}},
		{"http url", func(a string) string { return "http://" + a }, false, 1, []string{"kept"}},
		{"ratio zero drops new traces", func(a string) string { return a }, true, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			col := &collector{}
			gs := grpc.NewServer()
			coltracepb.RegisterTraceServiceServer(gs, col)
			go func() { _ = gs.Serve(lis) }()
			defer gs.Stop()

			tel, err := New(ctx, Config{OTLPEndpoint: tc.endpoint(lis.Addr().String()), OTLPInsecure: tc.insecure,
				SampleRatio: tc.ratio, InstanceID: "pod-1"}, Options{ServiceName: "scheduler"})
			require.NoError(t, err)
			_, span := tel.TracerProvider.Tracer("t").Start(ctx, "kept")
			span.End()
			require.NoError(t, tel.Shutdown(ctx))

			col.mu.Lock()
			defer col.mu.Unlock()
			require.Equal(t, tc.want, col.names)
			if len(tc.want) > 0 {
				joined := strings.Join(col.attrs, ",")
				require.Contains(t, joined, "service.name=scheduler")
				require.Contains(t, joined, "service.instance.id=pod-1")
			}
		})
	}
}
