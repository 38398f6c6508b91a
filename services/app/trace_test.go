package app_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/app"
)

// TestOneTracePerCycle: one cycle in one process (every module) against
// graphsim is one trace rooted at the scheduler's cycle span; the reader's
// pages, the transformer's batches, the writer's Graph $batch calls and
// the log service's outcome batches all descend from it, across
// JetStream, through the messages' traceparent headers.
func TestOneTracePerCycle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	exp := tracetest.NewInMemoryExporter()
	w := startObservedWorld(t, ctx, 8, exp)
	job := w.job(ctx)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_NOT_RUN, job.GetState())
	resp, err := w.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: w.cfgID})
	require.NoError(t, err)
	cycleID := resp.GetJob().GetCurrentCycle().GetCycleId()
	p := w.waitCycle(ctx, cycleID)
	require.Positive(t, p.Succeeded)

	var root sdktrace.ReadOnlySpan
	var spans tracetest.SpanStubs
	stages := []string{"reader.page", "transformer.batch", "graph $batch", "synclog.outcome_batch"}
	// The log's span ends just after the progress it wrote says complete.
	require.Eventually(t, func() bool {
		spans = exp.GetSpans()
		root = nil
		for _, s := range spans.Snapshots() {
			if s.Name() == "scheduler.cycle" && attr(s.Attributes(), "xtsync.cycle_id") == cycleID {
				root = s
			}
		}
		if root == nil {
			return false
		}
		for _, name := range stages {
			if len(inTrace(spans, root.SpanContext().TraceID(), name)) == 0 {
				return false
			}
		}
		return true
	}, cycleWait, 50*time.Millisecond, "spans of the cycle: %v", names(exp.GetSpans()))

	require.False(t, root.Parent().IsValid(), "the cycle span is a root")
	require.Equal(t, w.cfgID, attr(root.Attributes(), "xtsync.configuration_id"))
	require.Equal(t, w.source.ID(), attr(root.Attributes(), "xtsync.source_tenant_id"))
	require.Equal(t, w.target.ID(), attr(root.Attributes(), "xtsync.target_tenant_id"))
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	for _, name := range append(stages, "reader.cycle", "writer apply intent batch") {
		found := inTrace(spans, root.SpanContext().TraceID(), name)
		require.NotEmpty(t, found, name)
		for _, s := range found {
			chain := ancestry(byID, s)
			require.Equal(t, root.SpanContext().SpanID(), chain[len(chain)-1].SpanContext.SpanID(),
				"%s descends from the cycle span: %v", name, chainNames(chain))
		}
	}
	// Every stage names the configuration and cycle under the same keys,
	// and the writer's Graph call its tenant and the 429s it met.
	for _, name := range append(stages, "reader.cycle", "writer apply intent batch") {
		for _, s := range inTrace(spans, root.SpanContext().TraceID(), name) {
			require.Equal(t, cycleID, attr(s.Attributes, "xtsync.cycle_id"), "%s names the cycle", name)
			require.Equal(t, w.cfgID, attr(s.Attributes, "xtsync.configuration_id"), "%s names the configuration", name)
		}
	}
	for _, s := range inTrace(spans, root.SpanContext().TraceID(), "graph $batch") {
		require.Equal(t, w.target.ID(), attr(s.Attributes, "xtsync.target_tenant_id"))
		require.Equal(t, "0", attr(s.Attributes, "xtsync.throttled"))
	}
	// The JetStream hops are in the chain: publish, then a consumer span.
	chain := ancestry(byID, inTrace(spans, root.SpanContext().TraceID(), "synclog.outcome_batch")[0])
	require.Subset(t, chainNames(chain), []string{"process XTSYNC_OUTCOMES", "process XTSYNC_INTENTS",
		"process XTSYNC_CHANGES", "process XTSYNC_CYCLES", "scheduler.cycle"})
	t.Logf("log span ancestry: %v", chainNames(chain))
	// Graph calls under the writer's $batch are client spans of the same trace.
	require.NotEmpty(t, inTrace(spans, root.SpanContext().TraceID(), "graph POST"))
}

func attr(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func inTrace(spans tracetest.SpanStubs, id trace.TraceID, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.SpanContext.TraceID() == id && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// ancestry is s and its parents up to the first span whose parent was not
// exported (the root, if the chain is whole).
func ancestry(byID map[trace.SpanID]tracetest.SpanStub, s tracetest.SpanStub) []tracetest.SpanStub {
	chain := []tracetest.SpanStub{s}
	for s.Parent.IsValid() {
		p, ok := byID[s.Parent.SpanID()]
		if !ok {
			break
		}
		chain = append(chain, p)
		s = p
	}
	return chain
}

func chainNames(chain []tracetest.SpanStub) []string {
	out := make([]string, len(chain))
	for i, s := range chain {
		out[i] = s.Name
	}
	return out
}

func names(spans tracetest.SpanStubs) map[string]int {
	out := map[string]int{}
	for _, s := range spans {
		out[s.Name]++
	}
	return out
}

// otlpCollector receives OTLP/gRPC spans: the real exporter and wire.
type otlpCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names map[string]int
}

func (c *otlpCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.names[s.GetName()]++
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// TestOTLPExportFlushedOnStop: with -tracing.otlp-endpoint the process
// batches spans to the collector, and a graceful stop flushes what the
// batcher still held: every stage of the cycle reaches the collector by
// the time Run returns.
func TestOTLPExportFlushedOnStop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	col := &otlpCollector{names: map[string]int{}}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, col)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	w, stop := startObservedWorldWith(t, ctx, 4, nil, func(c *app.Config) {
		c.Tracing.OTLPEndpoint = "http://" + lis.Addr().String()
	})
	resp, err := w.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: w.cfgID})
	require.NoError(t, err)
	p := w.waitCycle(ctx, resp.GetJob().GetCurrentCycle().GetCycleId())
	require.Positive(t, p.Succeeded)
	require.NoError(t, w.conn.Close())
	require.NoError(t, stop())

	col.mu.Lock()
	defer col.mu.Unlock()
	for _, name := range []string{"scheduler.cycle", "reader.page", "transformer.batch", "graph $batch", "synclog.outcome_batch"} {
		require.Positive(t, col.names[name], "%s exported by the time the process stopped: %v", name, col.names)
	}
}
