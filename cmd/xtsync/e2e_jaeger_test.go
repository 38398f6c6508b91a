package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// envJaegerBin names the Jaeger v2 binary of TestE2ETraceInJaeger. When
// set, the binary must exist (CI sets it after building Jaeger); unset,
// the test looks for jaeger on PATH and in $(go env GOPATH)/bin and skips
// without one.
const envJaegerBin = "XTSYNC_JAEGER_BIN"

// TestE2ETraceInJaeger is issue 6's "a cycle started from the CLI shows
// up as one connected trace": a real Jaeger v2 (in-memory storage) receives
// OTLP/gRPC from the five services running as separate processes;
// xtsyncctl starts a cycle; the cycle's trace, read back through Jaeger's
// query API, holds spans of all five services under the scheduler's
// cycle span with every parent inside the trace, the attributes an SRE
// filters on, and the Graph HTTP and Redis client spans.
func TestE2ETraceInJaeger(t *testing.T) {
	requireE2E(t)
	bin := jaegerBinary(t)
	j := startJaeger(t, bin)
	target := graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}
	c := newCluster(t, clusterSpec{Users: 20, Groups: 3, TargetUsers: 2, TargetLimits: target, Flags: []string{
		"-tracing.otlp-endpoint=http://" + j.otlp, "-tracing.sample-ratio=1",
	}})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cfgID := c.createConfig(ctx, sc.Rules())
	cycleID := ctlStartJob(t, ctx, c, cfgID)
	p := c.waitCycle(ctx, cfgID, cycleID)
	require.Zero(t, p.Failed, "failed outcomes: %v", p.ByStatus)
	require.Positive(t, p.Expected)
	c.requireMirrored(m)

	// Spans reach Jaeger in batches from five processes: poll until the
	// trace is whole (every service and stage, every parent present, every
	// batch's objects counted).
	var tr jaegerTrace
	var problems []string
	for {
		var err error
		tr, err = j.cycleTrace(ctx, cycleID)
		switch {
		case errors.Is(err, errNoTrace):
			problems = []string{err.Error()}
		case err != nil:
			t.Fatalf("query Jaeger: %v\n%s", err, tail(j.log, 30))
		default:
			problems = tr.problems()
			// Whole means every batch too: a process's last spans can
			// reach Jaeger after the rest of the trace.
			if n := tr.sum("transformer.batch", "xtsync.objects"); n < p.Expected {
				problems = append(problems, fmt.Sprintf("transformer batches count %d objects of %d", n, p.Expected))
			}
			if n := tr.sum("synclog.outcome_batch", "outcomes"); n < p.Logged {
				problems = append(problems, fmt.Sprintf("log batches count %d outcomes of %d", n, p.Logged))
			}
		}
		if len(problems) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cycle %s's trace in Jaeger is not whole: %s\nspans by service: %v\n%s",
				cycleID, strings.Join(problems, "; "), tr.opsByService(), tail(j.log, 30))
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Logf("trace %s: %d spans; by service: %v", tr.TraceID, len(tr.Spans), tr.opsByService())

	// The log service recorded the same trace for the cycle.
	require.Equal(t, strings.TrimLeft(p.TraceID, "0"), strings.TrimLeft(tr.TraceID, "0"), "progress names the cycle's trace")

	root := tr.root()
	require.Equal(t, "scheduler", tr.service(root))
	for key, want := range map[string]string{
		"xtsync.configuration_id": cfgID, "xtsync.cycle_id": cycleID,
		"xtsync.source_tenant_id": c.source.ID(), "xtsync.target_tenant_id": c.target.ID(),
	} {
		require.Equal(t, want, root.tag(key), "cycle span %s", key)
	}
	require.NotEmpty(t, root.tag("xtsync.mode"), "cycle span names the mode")

	// Every stage names the configuration and the cycle.
	for _, op := range []string{"reader.cycle", "reader.page", "transformer.batch", "writer apply intent batch", "graph $batch", "synclog.outcome_batch"} {
		for _, s := range tr.named(op) {
			require.Equal(t, cfgID, s.tag("xtsync.configuration_id"), "%s names the configuration", op)
			require.Equal(t, cycleID, s.tag("xtsync.cycle_id"), "%s names the cycle", op)
		}
	}
	// Object counts: every published change was decided in a transformer
	// batch (a redelivered batch only adds); the writer's spans name the
	// target tenant, the writes and the 429s met (none: unthrottled).
	require.GreaterOrEqual(t, tr.sum("transformer.batch", "xtsync.objects"), p.Expected, "objects over the transformer batches")
	require.Positive(t, tr.sum("writer apply intent batch", "xtsync.intents"))
	require.Positive(t, tr.sum("graph $batch", "xtsync.writes"))
	require.GreaterOrEqual(t, tr.sum("synclog.outcome_batch", "outcomes"), p.Logged, "outcomes over the log batches")
	for _, op := range []string{"writer apply intent batch", "graph $batch"} {
		for _, s := range tr.named(op) {
			require.Equal(t, c.target.ID(), s.tag("xtsync.target_tenant_id"), "%s names the target tenant", op)
			require.Equal(t, "0", s.tag("xtsync.throttled"), "%s: no 429 from an unthrottled tenant", op)
		}
	}
	// Graph HTTP client spans (otelhttp, one per attempt, token requests
	// included): the reader's delta GETs and the writer's $batch POSTs,
	// each naming graphsim's host.
	host := strings.TrimPrefix(c.sim.BaseURL(), "https://")
	host, _, _ = net.SplitHostPort(host)
	for op, svc := range map[string]string{"graph GET": "reader", "graph POST": "writer"} {
		spans := tr.named(op)
		require.True(t, slices.ContainsFunc(spans, func(s jaegerSpan) bool { return tr.service(s) == svc }),
			"%s spans from the %s", op, svc)
		for _, s := range spans {
			require.Equal(t, host, s.tag("server.address"), "%s names the Graph host", op)
		}
	}
	// Redis commands (redisotel) are spans of the cycle too.
	redisBy := map[string]int{}
	for _, s := range tr.Spans {
		if s.tag("db.system") == "redis" || s.tag("db.system.name") == "redis" {
			redisBy[tr.service(s)]++
		}
	}
	t.Logf("redis spans by service: %v", redisBy)
	require.NotEmpty(t, redisBy, "Redis command spans in the cycle's trace")

	// The cycle is a root of its own; it links the API call that asked
	// for it: xtsyncctl's StartJob, served by the scheduler.
	link := root.ref("FOLLOWS_FROM")
	require.NotNil(t, link, "the cycle span links the StartJob call")
	call, err := j.trace(ctx, link.TraceID)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(call.Spans, func(s jaegerSpan) bool {
		return s.SpanID == link.SpanID && strings.HasSuffix(s.OperationName, "SchedulerService/StartJob")
	}), "the linked span is the scheduler's StartJob: %v", call.opsByService())
}

// jaegerBinary finds the Jaeger v2 binary (see envJaegerBin).
func jaegerBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(envJaegerBin); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%s: %v", envJaegerBin, p, err)
		}
		return p
	}
	if p, err := exec.LookPath("jaeger"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if p := filepath.Join(dir, "bin", "jaeger"); isExecutable(p) {
				return p
			}
		}
	}
	t.Skipf("no Jaeger v2 binary: set %s or put jaeger on PATH (build it as .ci/run does: docs/observability.md)", envJaegerBin)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// jaegerConfig is a Jaeger v2 (OpenTelemetry Collector) configuration:
// OTLP/gRPC in, in-memory storage, the query service; every listener on a
// port of this run, no collector metrics endpoint (default :8888).
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: %s
    grpc:
      endpoint: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// jaeger is a Jaeger v2 child process.
type jaeger struct {
	otlp, query string // host:port of the OTLP/gRPC receiver and the HTTP query API
	log         string
	hc          *http.Client
}

// startJaeger starts Jaeger on free loopback ports and waits until its
// query API answers and its OTLP port accepts connections. It is stopped
// by a cleanup registered before the cluster's, so it runs after the
// services flushed their spans.
func startJaeger(t *testing.T, bin string) *jaeger {
	t.Helper()
	dir := t.TempDir()
	j := &jaeger{otlp: freeAddr(t), query: freeAddr(t), log: filepath.Join(dir, "jaeger.log"),
		hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	cfg := filepath.Join(dir, "jaeger.yaml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, j.query, freeAddr(t), j.otlp), 0o600))
	logFile, err := os.Create(j.log)
	require.NoError(t, err)
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start(), "start jaeger")
	done := make(chan error, 1)
	go func() {
		done <- cmd.Wait()
		_ = logFile.Close()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("---- jaeger ----\n%s", tail(j.log, 40))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := j.get(context.Background(), "/api/services", nil, &struct{}{})
		if err == nil {
			var conn net.Conn
			if conn, err = net.DialTimeout("tcp", j.otlp, time.Second); err == nil {
				_ = conn.Close()
				return j
			}
		}
		select {
		case err := <-done:
			t.Fatalf("jaeger exited before serving: %v\n%s", err, tail(j.log, 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger not ready: %v\n%s", err, tail(j.log, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// get reads a JSON answer of the query API into out.
func (j *jaeger) get(ctx context.Context, path string, q url.Values, out any) error {
	u := "http://" + j.query + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := j.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, out)
}

var errNoTrace = errors.New("no trace yet")

// cycleTrace finds the trace of a cycle by its cycle span's attribute
// (what an SRE types in Jaeger's search: service scheduler, operation
// scheduler.cycle, tag xtsync.cycle_id) and reads it whole.
func (j *jaeger) cycleTrace(ctx context.Context, cycleID string) (jaegerTrace, error) {
	tags, err := json.Marshal(map[string]string{"xtsync.cycle_id": cycleID})
	if err != nil {
		return jaegerTrace{}, err
	}
	var found struct{ Data []jaegerTrace }
	if err := j.get(ctx, "/api/traces", url.Values{"service": {"scheduler"}, "operation": {"scheduler.cycle"},
		"tags": {string(tags)}, "limit": {"20"}}, &found); err != nil {
		return jaegerTrace{}, err
	}
	switch len(found.Data) {
	case 0:
		return jaegerTrace{}, fmt.Errorf("%w for cycle %s", errNoTrace, cycleID)
	case 1:
		return j.trace(ctx, found.Data[0].TraceID)
	}
	ids := make([]string, len(found.Data))
	for i, tr := range found.Data {
		ids[i] = tr.TraceID
	}
	return jaegerTrace{}, fmt.Errorf("cycle %s is in %d traces: %v", cycleID, len(ids), ids)
}

func (j *jaeger) trace(ctx context.Context, id string) (jaegerTrace, error) {
	var got struct{ Data []jaegerTrace }
	if err := j.get(ctx, "/api/traces/"+id, nil, &got); err != nil {
		return jaegerTrace{}, err
	}
	if len(got.Data) != 1 {
		return jaegerTrace{}, fmt.Errorf("trace %s: %d traces in the answer", id, len(got.Data))
	}
	return got.Data[0], nil
}

// jaegerTrace is a trace as Jaeger's query API (/api/traces) renders it.
type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerProcess struct {
	ServiceName string `json:"serviceName"`
}

type jaegerSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []jaegerRef `json:"references"`
	ProcessID     string      `json:"processID"`
	Tags          []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
}

type jaegerRef struct {
	RefType string `json:"refType"` // CHILD_OF (the parent) or FOLLOWS_FROM (a link)
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// tag renders a span attribute ("" when absent); numbers in decimal.
func (s jaegerSpan) tag(key string) string {
	for _, kv := range s.Tags {
		if kv.Key == key {
			if f, ok := kv.Value.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
			return fmt.Sprint(kv.Value)
		}
	}
	return ""
}

func (s jaegerSpan) ref(kind string) *jaegerRef {
	for i, r := range s.References {
		if r.RefType == kind {
			return &s.References[i]
		}
	}
	return nil
}

func (tr jaegerTrace) service(s jaegerSpan) string { return tr.Processes[s.ProcessID].ServiceName }

func (tr jaegerTrace) named(op string) []jaegerSpan {
	var out []jaegerSpan
	for _, s := range tr.Spans {
		if s.OperationName == op {
			out = append(out, s)
		}
	}
	return out
}

// root is the trace's span without a parent (problems checks there is one).
func (tr jaegerTrace) root() jaegerSpan {
	for _, s := range tr.Spans {
		if s.ref("CHILD_OF") == nil {
			return s
		}
	}
	return jaegerSpan{}
}

// sum adds an integer attribute over the spans named op.
func (tr jaegerTrace) sum(op, key string) int64 {
	var n int64
	for _, s := range tr.named(op) {
		v, _ := strconv.ParseInt(s.tag(key), 10, 64)
		n += v
	}
	return n
}

// problems lists what keeps the trace from being one connected cycle
// trace: one root, the scheduler's cycle span; every other span's parent
// in the trace; every service and every stage present.
func (tr jaegerTrace) problems() []string {
	var out []string
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	var roots, orphans []string
	for _, s := range tr.Spans {
		parent := s.ref("CHILD_OF")
		switch {
		case parent == nil:
			roots = append(roots, tr.service(s)+"/"+s.OperationName)
		case parent.TraceID != tr.TraceID || !ids[parent.SpanID]:
			orphans = append(orphans, tr.service(s)+"/"+s.OperationName)
		}
	}
	if !slices.Equal(roots, []string{"scheduler/scheduler.cycle"}) {
		out = append(out, fmt.Sprintf("roots %v, want the scheduler's cycle span alone", roots))
	}
	if len(orphans) > 0 {
		out = append(out, fmt.Sprintf("spans whose parent is not in the trace: %v", orphans))
	}
	ops := tr.opsByService()
	want := map[string][]string{
		"scheduler":   {"scheduler.cycle"},
		"reader":      {"process XTSYNC_CYCLES", "reader.cycle", "reader.page", "graph GET"},
		"transformer": {"process XTSYNC_CHANGES", "transformer.batch"},
		"writer":      {"process XTSYNC_INTENTS", "writer apply intent batch", "graph $batch", "graph POST"},
		"synclog":     {"process XTSYNC_OUTCOMES", "synclog.outcome_batch"},
	}
	for _, svc := range fiveServices {
		for _, op := range want[svc] {
			if ops[svc][op] == 0 {
				out = append(out, fmt.Sprintf("no %s span from %s", op, svc))
			}
		}
	}
	return out
}

// opsByService counts the trace's spans by service and operation.
func (tr jaegerTrace) opsByService() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, s := range tr.Spans {
		svc := tr.service(s)
		if out[svc] == nil {
			out[svc] = map[string]int{}
		}
		out[svc][s.OperationName]++
	}
	return out
}

// ctlStartJob starts the configuration's job with the real xtsyncctl
// (built from this workspace) and returns the cycle id it reports.
func ctlStartJob(t *testing.T, ctx context.Context, c *cluster, cfgID string) string {
	t.Helper()
	ctl := filepath.Join(t.TempDir(), "xtsyncctl")
	build := exec.CommandContext(ctx, "go", "build", "-o", ctl, "github.com/xtsync/xtsync/cmd/xtsyncctl")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build xtsyncctl: %s", out)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ctl, "--addr", c.addrs["scheduler"], "-o", "json", "job", "start", cfgID)
	cmd.Env = append(os.Environ(), "XTSYNC_TOKEN="+c.token)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "xtsyncctl job start: %s", stderr.String())
	var resp schedulerv1.GetJobResponse
	require.NoError(t, protojson.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &resp), "xtsyncctl output: %s", stdout.String())
	id := resp.GetJob().GetCurrentCycle().GetCycleId()
	require.NotEmpty(t, id, "xtsyncctl job start reports no running cycle: %s", stdout.String())
	return id
}

// TestJaegerTraceProblems: the whole-trace check of TestE2ETraceInJaeger
// fails on a second root, a parent outside the trace and a missing stage.
func TestJaegerTraceProblems(t *testing.T) {
	t.Parallel()
	whole := func() jaegerTrace {
		tr := jaegerTrace{TraceID: "t1", Processes: map[string]jaegerProcess{}}
		parent := ""
		add := func(svc, op string) {
			s := jaegerSpan{TraceID: "t1", SpanID: fmt.Sprintf("s%d", len(tr.Spans)), OperationName: op, ProcessID: svc}
			if parent != "" {
				s.References = []jaegerRef{{RefType: "CHILD_OF", TraceID: "t1", SpanID: parent}}
			}
			tr.Processes[svc] = jaegerProcess{ServiceName: svc}
			tr.Spans = append(tr.Spans, s)
			parent = s.SpanID
		}
		add("scheduler", "scheduler.cycle")
		for _, op := range []string{"process XTSYNC_CYCLES", "reader.cycle", "reader.page", "graph GET"} {
			add("reader", op)
		}
		for _, op := range []string{"process XTSYNC_CHANGES", "transformer.batch"} {
			add("transformer", op)
		}
		for _, op := range []string{"process XTSYNC_INTENTS", "writer apply intent batch", "graph $batch", "graph POST"} {
			add("writer", op)
		}
		for _, op := range []string{"process XTSYNC_OUTCOMES", "synclog.outcome_batch"} {
			add("synclog", op)
		}
		return tr
	}
	cases := []struct {
		name  string
		edit  func(*jaegerTrace)
		wants string
	}{
		{"whole", func(*jaegerTrace) {}, ""},
		{"second root", func(tr *jaegerTrace) { tr.Spans[3].References = nil }, "roots [scheduler/scheduler.cycle reader/reader.page]"},
		{"parent elsewhere", func(tr *jaegerTrace) { tr.Spans[6].References[0].SpanID = "gone" }, "parent is not in the trace: [transformer/transformer.batch]"},
		{"parent in another trace", func(tr *jaegerTrace) { tr.Spans[6].References[0].TraceID = "t2" }, "parent is not in the trace"},
		{"no log stage", func(tr *jaegerTrace) { tr.Spans = tr.Spans[:len(tr.Spans)-1] }, "no synclog.outcome_batch span from synclog"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := whole()
			tc.edit(&tr)
			got := strings.Join(tr.problems(), "; ")
			if tc.wants == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tc.wants)
		})
	}
}
