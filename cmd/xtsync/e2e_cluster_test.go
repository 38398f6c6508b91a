package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/synclog"
)

// envRunMain makes the test binary act as the xtsync binary (TestMain):
// the end-to-end tests start every service as a separate process of the
// real main, so they can kill one with SIGKILL mid-cycle.
const envRunMain = "XTSYNC_TEST_RUN_MAIN"

// Credentials the configurations name as env:<var>; set in every child.
const (
	envE2ESource = "XTSYNC_E2E_SOURCE_SECRET"
	envE2ETarget = "XTSYNC_E2E_TARGET_SECRET"
)

// clusterSpec sizes the simulated tenants of an end-to-end run.
type clusterSpec struct {
	Users, Groups, TargetUsers int
	// SourceLimits and TargetLimits shape the tenants' Graph (budget,
	// latency, faults); the zero SourceLimits means unlimited.
	SourceLimits, TargetLimits graphsim.Limits
	// Flags are added to every service process.
	Flags []string
	// NATSMaxPayload, when set, is the nats-server's max_payload.
	NATSMaxPayload int32
}

// cluster is the product deployed as separate processes on this machine:
// a real nats-server (in this test process, over TCP), a real redis-server
// child, graphsim with a source and a target tenant, and xtsync service
// processes started and killed by name.
type cluster struct {
	t      *testing.T
	dir    string
	spec   clusterSpec
	nats   *natsx.Embedded
	redis  *redistest.Server
	rdb    *redis.Client
	sim    *graphsim.Server
	source *graphsim.Tenant
	target *graphsim.Tenant
	caFile string
	tokens string
	token  string

	mu    sync.Mutex
	procs map[string]*proc
	addrs map[string]string // process name -> gRPC address

	conn   map[string]*grpc.ClientConn
	sched  schedulerv1.SchedulerServiceClient
	logs   synclogv1.SynclogServiceClient
	preB2B int
}

// proc is one xtsync process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func requireE2E(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end: starts separate service processes")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
}

// newCluster starts the infrastructure and the simulated tenants; the
// services are started by startService.
func newCluster(t *testing.T, spec clusterSpec) *cluster {
	t.Helper()
	requireE2E(t)
	c := &cluster{t: t, dir: t.TempDir(), spec: spec, procs: map[string]*proc{}, addrs: map[string]string{}, conn: map[string]*grpc.ClientConn{}}
	t.Cleanup(c.shutdown)

	ns, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: filepath.Join(c.dir, "jetstream"), ServerName: "e2e",
		MaxPayload: spec.NATSMaxPayload})
	require.NoError(t, err)
	c.nats = ns
	c.redis = redistest.Start(t, redistest.Options{AppendOnly: true})
	c.rdb = c.redis.Client(t)

	c.caFile = filepath.Join(c.dir, "graphsim-ca.pem")
	if spec.SourceLimits == (graphsim.Limits{}) {
		spec.SourceLimits = graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}
	}
	sim, err := graphsim.Start(context.Background(), graphsim.Options{CAFile: c.caFile, Tenants: []graphsim.TenantSpec{
		{Domain: "contoso.example", Users: spec.Users, Groups: spec.Groups, Limits: spec.SourceLimits},
		{Domain: "fabrikam.example", Users: spec.TargetUsers, Limits: spec.TargetLimits},
	}})
	require.NoError(t, err)
	c.sim = sim
	c.source, c.target = sim.Tenants()[0], sim.Tenants()[1]
	c.source.SetPartnerPolicy(c.target.ID(), true, false)
	c.target.SetPartnerPolicy(c.source.ID(), true, true)
	c.preB2B = countB2B(c.target)

	c.token = "e2e-admin-token"
	c.tokens = filepath.Join(c.dir, "tokens.yaml")
	body := fmt.Sprintf("tokens:\n  - name: e2e-admin\n    sha256: %s\n    tenants: [\"*\"]\n", grpcx.HashToken(c.token))
	require.NoError(t, os.WriteFile(c.tokens, []byte(body), 0o600))
	return c
}

// startService starts an xtsync process named name running targets
// (comma-separated -target). Processes that serve the API (scheduler,
// synclog) get a fixed loopback port so that a replacement keeps it.
func (c *cluster) startService(name, targets string, extra ...string) *proc {
	c.t.Helper()
	c.mu.Lock()
	addr, ok := c.addrs[name]
	c.mu.Unlock()
	if !ok {
		addr = freeAddr(c.t)
	}
	dataDir := filepath.Join(c.dir, "proc-"+name)
	require.NoError(c.t, os.MkdirAll(dataDir, 0o700))
	args := []string{
		"-target=" + targets,
		"-data-dir=" + dataDir,
		"-nats.url=" + c.nats.ClientURL(),
		"-redis.addr=" + c.redis.Addr,
		"-graph.ca-file=" + c.caFile,
		"-grpc.listen-addr=" + addr,
		"-grpc.tokens-file=" + c.tokens,
		"-log.level=info",
		// Tests start cycles through the API; the schedule never fires.
		"-scheduler.tick=100ms",
		"-reader.barrier-poll=50ms",
	}
	args = append(args, c.spec.Flags...)
	args = append(args, extra...)
	logPath := filepath.Join(c.dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	require.NoError(c.t, err)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunMain+"=1",
		envE2ESource+"="+c.source.Info().ClientSecret, envE2ETarget+"="+c.target.Info().ClientSecret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(c.t, cmd.Start(), "start %s", name)
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs[name], c.addrs[name] = p, addr
	c.mu.Unlock()
	if strings.Contains(targets, "scheduler") || strings.Contains(targets, "synclog") || targets == "all" {
		c.waitHealthy(p, addr)
	}
	return p
}

func (c *cluster) waitHealthy(p *proc, addr string) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := probe(context.Background(), addr)
		if err == nil {
			return
		}
		select {
		case <-p.done:
			c.t.Fatalf("%s exited before serving: %v\n%s", p.name, p.err, tail(p.log, 40))
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not healthy at %s: %v\n%s", p.name, addr, err, tail(p.log, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends a process with SIGKILL: no drain, no deferred code, in-flight
// JetStream messages unacknowledged, Graph requests cut mid-way.
func (c *cluster) kill(name string) {
	c.t.Helper()
	c.signal(name, syscall.SIGKILL)
}

// stop ends a process with SIGTERM (graceful: drains, then exits 0).
func (c *cluster) stop(name string) {
	c.t.Helper()
	c.signal(name, syscall.SIGTERM)
}

func (c *cluster) signal(name string, sig syscall.Signal) {
	c.t.Helper()
	c.mu.Lock()
	p := c.procs[name]
	c.mu.Unlock()
	require.NotNil(c.t, p, "no process %s", name)
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		c.t.Errorf("%s did not exit within 60s of %s", name, sig)
	}
	if sig == syscall.SIGTERM && p.err != nil {
		c.t.Errorf("%s exited with %v after SIGTERM\n%s", name, p.err, tail(p.log, 30))
	}
}

// api dials the process serving the scheduler API and the one serving
// the log API (they may be the same).
func (c *cluster) api(schedProc, logProc string) {
	c.t.Helper()
	dial := func(name string) *grpc.ClientConn {
		if cc, ok := c.conn[name]; ok {
			return cc
		}
		cc, err := grpcx.Dial(grpcx.ClientConfig{Target: c.addrs[name], Token: c.token})
		require.NoError(c.t, err)
		c.conn[name] = cc
		return cc
	}
	c.sched = schedulerv1.NewSchedulerServiceClient(dial(schedProc))
	c.logs = synclogv1.NewSynclogServiceClient(dial(logProc))
}

// shutdown stops every process still running (SIGTERM, then SIGKILL) and
// the infrastructure; on failure it prints the tail of every process log.
func (c *cluster) shutdown() {
	for _, cc := range c.conn {
		_ = cc.Close()
	}
	c.mu.Lock()
	procs := make([]*proc, 0, len(c.procs))
	for _, p := range c.procs {
		procs = append(procs, p)
	}
	c.mu.Unlock()
	for _, p := range procs {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if c.t.Failed() {
		for _, p := range procs {
			c.t.Logf("---- %s (%v) ----\n%s", p.name, p.err, tail(p.log, 60))
		}
	}
	if c.sim != nil {
		_ = c.sim.Close()
	}
	if c.nats != nil {
		c.nats.Shutdown()
	}
}

func (c *cluster) configuration(rules *structpb.Struct) *schedulerv1.Configuration {
	ref := func(t *graphsim.Tenant, env string) *commonv1.TenantRef {
		return &commonv1.TenantRef{TenantId: t.ID(), Domain: t.Domain(), ClientId: t.Info().ClientID,
			CredentialRef: "env:" + env, GraphUrl: c.sim.GraphURL(), AuthorityUrl: c.sim.AuthorityURL()}
	}
	return &schedulerv1.Configuration{
		DisplayName: "e2e " + c.t.Name(),
		Source:      ref(c.source, envE2ESource), Target: ref(c.target, envE2ETarget),
		Rules: rules, ScheduleInterval: durationpb.New(24 * time.Hour),
	}
}

func (c *cluster) createConfig(ctx context.Context, rules *structpb.Struct) string {
	c.t.Helper()
	resp, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: c.configuration(rules)})
	require.NoError(c.t, err)
	return resp.GetConfiguration().GetId()
}

// startCycle starts the job (pausing it first when it runs on its
// schedule) and returns the cycle id.
func (c *cluster) startCycle(ctx context.Context, cfgID string) string {
	c.t.Helper()
	job, err := c.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cfgID})
	require.NoError(c.t, err)
	if job.GetJob().GetState() == schedulerv1.JobState_JOB_STATE_ACTIVE {
		_, err = c.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID})
		require.NoError(c.t, err)
	}
	resp, err := c.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cfgID})
	require.NoError(c.t, err)
	id := resp.GetJob().GetCurrentCycle().GetCycleId()
	require.NotEmpty(c.t, id, "StartJob reports no running cycle")
	return id
}

// progress reads a cycle's counters as the log service keeps them.
func (c *cluster) progress(ctx context.Context, cfgID, cycleID string) (synclog.Progress, error) {
	return synclog.NewProgressReader(c.rdb).Cycle(ctx, cfgID, cycleID)
}

// waitCycle waits until the log service logged every change of the cycle;
// every poll runs during (each bool call of during, e.g. to kill a process
// at some progress).
func (c *cluster) waitCycle(ctx context.Context, cfgID, cycleID string, during ...func(p synclog.Progress)) synclog.Progress {
	c.t.Helper()
	for {
		p, err := c.progress(ctx, cfgID, cycleID)
		switch {
		case errors.Is(err, synclog.ErrCycleNotFound):
		case err != nil:
			c.t.Fatalf("progress of %s: %v", cycleID, err)
		default:
			if !p.Completed.IsZero() {
				return p
			}
			for _, f := range during {
				f(p)
			}
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("cycle %s did not complete: %v (last progress %+v)", cycleID, ctx.Err(), p)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runCycle starts a cycle and waits for it; it fails on failed outcomes.
func (c *cluster) runCycle(ctx context.Context, cfgID string) synclog.Progress {
	c.t.Helper()
	p := c.waitCycle(ctx, cfgID, c.startCycle(ctx, cfgID))
	require.Zero(c.t, p.Failed, "failed outcomes: %v", p.ByStatus)
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// tail returns the last n lines of a file, for failure reports.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// startAllInOne runs every service in one process and dials its API.
func (c *cluster) startAllInOne() {
	c.startService("all", "all")
	c.api("all", "all")
}

// startFive starts the five services as five processes.
func (c *cluster) startFive() {
	c.startService("scheduler", "scheduler")
	c.startService("synclog", "synclog")
	c.startService("reader", "reader")
	c.startService("transformer", "transformer")
	c.startService("writer", "writer")
	c.api("scheduler", "synclog")
}

// requireMirrored fails with every difference between the target and the
// mirror of the source.
func (c *cluster) requireMirrored(m *mirror.Mirror) {
	c.t.Helper()
	p := m.Diff(c.source, c.target)
	require.Empty(c.t, p, "target differs from the source:\n%s", mirror.FirstN(p, 30))
}

// logEntries lists a cycle's provisioning log entries through the API.
func (c *cluster) logEntries(ctx context.Context, cfgID, cycleID string) []*eventsv1.ProvisioningLogEntry {
	c.t.Helper()
	var out []*eventsv1.ProvisioningLogEntry
	token := ""
	for {
		resp, err := c.logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{
			Filter:   &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: cycleID},
			PageSize: 500, PageToken: token,
		})
		require.NoError(c.t, err)
		out = append(out, resp.GetEntries()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// requireLoggedOnce: one provisioning log entry per object of the cycle.
func (c *cluster) requireLoggedOnce(ctx context.Context, cfgID, cycleID string, expected int64) {
	c.t.Helper()
	entries := c.logEntries(ctx, cfgID, cycleID)
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.GetSource().GetType().String()+"/"+e.GetSource().GetObjectId()]++
	}
	for k, n := range seen {
		require.Equal(c.t, 1, n, "object %s logged %d times in cycle %s", k, n, cycleID)
	}
	require.EqualValues(c.t, expected, len(entries), "entries of cycle %s", cycleID)
}

// assignedScope assigns some groups of the seed (static and dynamic, with
// members) and a few users directly.
func assignedScope(t *testing.T, src *graphsim.Tenant, threshold int) mirror.Scope {
	t.Helper()
	sc := mirror.Scope{Threshold: threshold}
	for _, id := range src.GroupIDs() {
		// Small groups: some enabled users must stay out of scope.
		if g, ok := src.Group(id); ok && mirror.SupportedGroup(g) && len(g.Members) > 0 && len(g.Members) <= 60 && len(sc.AssignedGroups) < 5 {
			sc.AssignedGroups = append(sc.AssignedGroups, id)
		}
	}
	require.GreaterOrEqual(t, len(sc.AssignedGroups), 3, "the seed has groups with members")
	for _, id := range src.UserIDs() {
		if u, _ := src.User(id); mirror.Enabled(u) && len(sc.AssignedUsers) < 15 {
			sc.AssignedUsers = append(sc.AssignedUsers, id)
		}
	}
	return sc
}

// fastRedelivery shortens the ack waits so that the work of a killed
// process is redelivered within seconds instead of the production
// defaults' half minute to minute.
var fastRedelivery = []string{
	"-nats.topology.cycles.ack-wait=5s", "-reader.in-progress=2s",
	"-nats.topology.transformer.ack-wait=5s",
	"-nats.topology.writer.ack-wait=5s", "-writer.drain.in-progress=2s",
	"-nats.topology.synclog.ack-wait=5s",
}
