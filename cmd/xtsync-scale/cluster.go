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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/synclog"
)

// Credentials the configurations name as env:<var>; set in every child.
const envSource = "XTSYNC_SCALE_SOURCE_SECRET"

func envTarget(i int) string { return fmt.Sprintf("XTSYNC_SCALE_TARGET%d_SECRET", i) }

// cluster is the product deployed as separate processes on this machine,
// as cmd/xtsync's end-to-end tests deploy it: a real nats-server (in this
// process, over TCP, file store, SyncAlways), a real redis-server child,
// graphsim with a source and one target tenant per configuration, and
// xtsync service processes of the built binary.
type cluster struct {
	o       Options
	dir     string
	nats    *natsx.Embedded
	nc      *nats.Conn
	js      jetstream.JetStream
	redis   *proc
	rdbAddr string
	rdb     *redis.Client
	sim     *graphsim.Server
	source  *graphsim.Tenant
	targets []*graphsim.Tenant
	caFile  string
	tokens  string
	token   string

	mu    sync.Mutex
	procs []*proc

	conn  *grpc.ClientConn
	sched schedulerv1.SchedulerServiceClient
}

// proc is one child process (an xtsync service or redis-server).
type proc struct {
	name     string
	cmd      *exec.Cmd
	log      string
	done     chan struct{}
	err      error
	httpAddr string // /metrics and /debug/pprof when profiling
	// rusage of the exited process (wait4).
	usage *syscall.Rusage
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// startCluster starts the infrastructure and the simulated tenants.
func startCluster(ctx context.Context, o Options, dir string) (_ *cluster, err error) {
	c := &cluster{o: o, dir: dir}
	defer func() {
		if err != nil {
			c.shutdown()
		}
	}()
	c.nats, err = natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: filepath.Join(dir, "jetstream"),
		ServerName: "xtsync-scale", SyncAlways: !o.NoSyncAlways})
	if err != nil {
		return nil, err
	}
	if c.nc, err = nats.Connect(c.nats.ClientURL()); err != nil {
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	if c.js, err = jetstream.New(c.nc); err != nil {
		return nil, err
	}
	if err := c.startRedis(ctx); err != nil {
		return nil, err
	}

	c.caFile = filepath.Join(dir, "graphsim-ca.pem")
	tl := graphsim.Limits{WritesPerMinute: o.TenantWritesPerMinute, ReadsPerMinute: -1, Burst: o.TenantBurst,
		Latency: o.Latency, LatencyJitter: o.LatencyJitter}
	specs := []graphsim.TenantSpec{{Domain: "contoso.example", Users: o.Users, Groups: o.Groups,
		Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}}}
	for i := range o.Configs {
		specs = append(specs, graphsim.TenantSpec{Domain: fmt.Sprintf("fabrikam%d.example", i+1), Users: o.TargetUsers, Limits: tl})
	}
	if c.sim, err = graphsim.Start(ctx, graphsim.Options{CAFile: c.caFile, Tenants: specs}); err != nil {
		return nil, fmt.Errorf("graphsim: %w", err)
	}
	ts := c.sim.Tenants()
	c.source, c.targets = ts[0], ts[1:]
	for _, t := range c.targets {
		c.source.SetPartnerPolicy(t.ID(), true, false)
		t.SetPartnerPolicy(c.source.ID(), true, true)
	}

	c.token = "scale-admin-token"
	c.tokens = filepath.Join(dir, "tokens.yaml")
	body := fmt.Sprintf("tokens:\n  - name: scale-admin\n    sha256: %s\n    tenants: [\"*\"]\n", grpcx.HashToken(c.token))
	if err := os.WriteFile(c.tokens, []byte(body), 0o600); err != nil {
		return nil, err
	}
	return c, nil
}

// startRedis runs redis-server as a child (append-only, fsync always, as
// the product's embedded default), so its rusage is measured like the
// services'.
func (c *cluster) startRedis(ctx context.Context) error {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found (make deps): %w", err)
	}
	rdir := filepath.Join(c.dir, "redis")
	if err := os.MkdirAll(rdir, 0o700); err != nil {
		return err
	}
	c.rdbAddr = freeAddr()
	_, port, _ := net.SplitHostPort(c.rdbAddr)
	p, err := c.spawn("redis", path, []string{"--bind", "127.0.0.1", "--port", port, "--dir", rdir,
		"--save", "", "--daemonize", "no", "--loglevel", "warning",
		"--appendonly", "yes", "--appendfsync", "always"}, nil)
	if err != nil {
		return err
	}
	c.redis = p
	c.rdb = redis.NewClient(&redis.Options{Addr: c.rdbAddr})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err = c.rdb.Ping(ctx).Err(); err == nil {
			return nil
		}
		if p.exited() || time.Now().After(deadline) {
			return fmt.Errorf("redis-server not ready: %v\n%s", err, tail(p.log, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// spawn starts a child with its output in a log file.
func (c *cluster) spawn(name, path string, args, env []string) (*proc, error) {
	logPath := filepath.Join(c.dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.usage = ru
		}
		_ = logFile.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p, nil
}

// startService starts an xtsync process running targets (-target).
func (c *cluster) startService(ctx context.Context, name, targets string, extra ...string) (*proc, string, error) {
	addr := freeAddr()
	dataDir := filepath.Join(c.dir, "proc-"+name)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", err
	}
	httpAddr := "" // no metrics endpoint unless profiling
	if c.o.ProfileDir != "" {
		httpAddr = freeAddr()
	}
	args := []string{
		"-target=" + targets,
		"-data-dir=" + dataDir,
		"-nats.url=" + c.nats.ClientURL(),
		"-redis.addr=" + c.rdbAddr,
		"-graph.ca-file=" + c.caFile,
		"-grpc.listen-addr=" + addr,
		"-grpc.tokens-file=" + c.tokens,
		"-http.listen-addr=" + httpAddr,
		"-log.level=warn",
		"-scheduler.tick=100ms",
		"-reader.barrier-poll=50ms",
		// JetStream refuses streams whose caps add up past 75% of the free
		// disk; the log stream's default 8 GiB alone fails on a shared
		// machine, and a run logs far less than 2 GiB.
		"-nats.topology.log-max-bytes=2147483648",
		fmt.Sprintf("-writer.writes-per-minute=%d", c.o.writerBudget()),
		fmt.Sprintf("-writer.write-burst=%d", c.o.writerBurst()),
	}
	if c.o.ProfileDir != "" {
		args = append(args, "-http.pprof")
	}
	args = append(args, c.o.Flags...)
	args = append(args, extra...)
	env := []string{envSource + "=" + c.source.Info().ClientSecret}
	for i, t := range c.targets {
		env = append(env, envTarget(i)+"="+t.Info().ClientSecret)
	}
	p, err := c.spawn(name, c.o.Xtsync, args, env)
	if err != nil {
		return nil, "", err
	}
	p.httpAddr = httpAddr
	if strings.Contains(targets, "scheduler") || strings.Contains(targets, "synclog") || targets == "all" {
		if err := waitHealthy(ctx, p, addr); err != nil {
			return nil, "", err
		}
	}
	return p, addr, nil
}

func waitHealthy(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := probe(ctx, addr)
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before serving: %v\n%s", p.name, p.err, tail(p.log, 40))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy at %s: %v\n%s", p.name, addr, err, tail(p.log, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func probe(ctx context.Context, addr string) error {
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: addr})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health %s", s)
	}
	return nil
}

// startServices deploys the services: one process running all of them
// (Writers == 0), or scheduler, synclog, reader and transformer processes
// plus Writers writer processes splitting the intent shards between them.
func (c *cluster) startServices(ctx context.Context) error {
	var apiAddr string
	if c.o.Writers == 0 {
		_, addr, err := c.startService(ctx, "all", "all")
		if err != nil {
			return err
		}
		apiAddr = addr
	} else {
		_, addr, err := c.startService(ctx, "scheduler", "scheduler")
		if err != nil {
			return err
		}
		apiAddr = addr
		for _, s := range []string{"synclog", "reader", "transformer"} {
			if _, _, err := c.startService(ctx, s, s); err != nil {
				return err
			}
		}
		for w, shards := range splitShards(c.o.IntentShards, c.o.Writers) {
			if _, _, err := c.startService(ctx, fmt.Sprintf("writer-%d", w+1), "writer", "-writer.shards="+joinInts(shards)); err != nil {
				return err
			}
		}
	}
	cc, err := grpcx.Dial(grpcx.ClientConfig{Target: apiAddr, Token: c.token})
	if err != nil {
		return err
	}
	c.conn = cc
	c.sched = schedulerv1.NewSchedulerServiceClient(cc)
	return nil
}

// splitShards deals n intent shards to w writers round-robin: each shard
// consumer is pulled by exactly one writer (pkg/natsx: one client per
// shard unless consumers are pinned).
func splitShards(n, w int) [][]int {
	out := make([][]int, w)
	for s := range n {
		out[s%w] = append(out[s%w], s)
	}
	return out
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// services are the xtsync processes (not redis-server).
func (c *cluster) services() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*proc
	for _, p := range c.procs {
		if p != c.redis {
			out = append(out, p)
		}
	}
	return out
}

func (c *cluster) configuration(i int, rules *structpb.Struct) *schedulerv1.Configuration {
	ref := func(t *graphsim.Tenant, env string) *commonv1.TenantRef {
		return &commonv1.TenantRef{TenantId: t.ID(), Domain: t.Domain(), ClientId: t.Info().ClientID,
			CredentialRef: "env:" + env, GraphUrl: c.sim.GraphURL(), AuthorityUrl: c.sim.AuthorityURL()}
	}
	return &schedulerv1.Configuration{
		DisplayName: fmt.Sprintf("scale %s -> %s", c.source.Domain(), c.targets[i].Domain()),
		Source:      ref(c.source, envSource), Target: ref(c.targets[i], envTarget(i)),
		Rules: rules, ScheduleInterval: durationpb.New(24 * time.Hour),
	}
}

func (c *cluster) createConfig(ctx context.Context, i int, rules *structpb.Struct) (string, error) {
	resp, err := c.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: c.configuration(i, rules)})
	if err != nil {
		return "", fmt.Errorf("create configuration: %w", err)
	}
	return resp.GetConfiguration().GetId(), nil
}

// startCycle starts the job (pausing it first when it runs on its
// schedule) and returns the cycle id.
func (c *cluster) startCycle(ctx context.Context, cfgID string) (string, error) {
	job, err := c.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cfgID})
	if err != nil {
		return "", err
	}
	if job.GetJob().GetState() == schedulerv1.JobState_JOB_STATE_ACTIVE {
		if _, err = c.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID}); err != nil {
			return "", err
		}
	}
	resp, err := c.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cfgID})
	if err != nil {
		return "", err
	}
	id := resp.GetJob().GetCurrentCycle().GetCycleId()
	if id == "" {
		return "", errors.New("StartJob reports no running cycle")
	}
	return id, nil
}

// progress reads a cycle's counters as the log service keeps them.
func (c *cluster) progress(ctx context.Context, cfgID, cycleID string) (synclog.Progress, error) {
	return synclog.NewProgressReader(c.rdb).Cycle(ctx, cfgID, cycleID)
}

// shutdown stops every service (SIGTERM, then SIGKILL), redis-server last,
// then the in-process parts.
func (c *cluster) shutdown() {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	stopAll(c.services())
	if c.redis != nil {
		stopAll([]*proc{c.redis})
	}
	if c.rdb != nil {
		_ = c.rdb.Close()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	if c.sim != nil {
		_ = c.sim.Close()
	}
	if c.nats != nil {
		c.nats.Shutdown()
	}
}

func stopAll(procs []*proc) {
	for _, p := range procs {
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(60 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
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
