package app_test

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/app"
	"github.com/xtsync/xtsync/services/synclog"
)

// cycleWait bounds one small cycle on a loaded machine: generous, never a
// performance limit.
const cycleWait = 90 * time.Second

// world is the five services in one process against two graphsim tenants,
// configured through the gRPC API as an admin would.
type world struct {
	t              *testing.T
	sim            *graphsim.Server
	source, target *graphsim.Tenant
	app            *app.App
	conn           *grpc.ClientConn
	sched          schedulerv1.SchedulerServiceClient
	cfgID          string
}

// worldOptions shape a world; the zero value is not useful.
type worldOptions struct {
	sourceUsers, targetUsers int
	seed                     int64 // the source's; the target's is seed+1
	name                     string
	rules                    map[string]any
	// observed adds the process's telemetry: exporter (may be nil) and the
	// HTTP endpoint on a free port.
	observed bool
	exporter sdktrace.SpanExporter
	edit     func(*app.Config)
}

// startWorld: enabled users of a seeded source, the quarantine and escrow
// tests' world.
func startWorld(t *testing.T, ctx context.Context, sourceUsers int) *world {
	t.Helper()
	w, _ := startWorldWith(t, ctx, worldOptions{sourceUsers: sourceUsers, targetUsers: 3, seed: 3,
		name: "contoso to fabrikam", rules: map[string]any{
			"scope": "AllUsers",
			"users": map[string]any{"scopingFilters": []any{map[string]any{
				"title":   "enabled users",
				"clauses": []any{map[string]any{"attribute": "accountEnabled", "operator": "IS TRUE"}},
			}}},
		}})
	return w
}

// startObservedWorld is startWorld with the process's telemetry options:
// an in-memory span exporter and the HTTP endpoint on a free port.
func startObservedWorld(t *testing.T, ctx context.Context, sourceUsers int, exp sdktrace.SpanExporter) *world {
	t.Helper()
	w, _ := startObservedWorldWith(t, ctx, sourceUsers, exp, nil)
	return w
}

// startObservedWorldWith also lets the test change the Config, and returns
// a stop that ends the process (once; the cleanup calls it too).
func startObservedWorldWith(t *testing.T, ctx context.Context, sourceUsers int, exp sdktrace.SpanExporter,
	edit func(*app.Config)) (*world, func() error) {
	t.Helper()
	return startWorldWith(t, ctx, worldOptions{sourceUsers: sourceUsers, targetUsers: 2, seed: 5,
		name: "traced", rules: map[string]any{"scope": "AllUsers"}, observed: true, exporter: exp, edit: edit})
}

func startWorldWith(t *testing.T, ctx context.Context, o worldOptions) (*world, func() error) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the five services")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	simCtx, simCancel := context.WithCancel(context.Background())
	unlimited := graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{Domain: "contoso.example", Users: o.sourceUsers, Seed: o.seed, Limits: unlimited},
		{Domain: "fabrikam.example", Users: o.targetUsers, Seed: o.seed + 1, Limits: unlimited},
	}})
	require.NoError(t, err)
	t.Cleanup(func() {
		simCancel()
		_ = sim.Close()
	})
	w := &world{t: t, sim: sim, source: sim.Tenants()[0], target: sim.Tenants()[1]}
	w.source.SetPartnerPolicy(w.target.ID(), true, false)
	w.target.SetPartnerPolicy(w.source.ID(), true, true)

	var cfg app.Config
	cfg.RegisterFlags(flag.NewFlagSet("test", flag.PanicOnError))
	cfg.DataDir = t.TempDir()
	cfg.GRPC.ListenAddr = "127.0.0.1:0"
	cfg.Scheduler.Tick = 50 * time.Millisecond
	opts := app.Options{GraphHTTPClient: sim.HTTPClient()}
	if o.observed {
		cfg.HTTPListenAddr = "127.0.0.1:0"
		cfg.MetricsPoll = 50 * time.Millisecond
		opts.SpanExporter = o.exporter
	}
	if o.edit != nil {
		o.edit(&cfg)
	}
	tokenFile, err := app.EnsureLocalAdminToken(&cfg)
	require.NoError(t, err)
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	opts.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(cfg, opts)
	require.NoError(t, err)
	w.app = a
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, []string{app.All}) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	require.Eventually(t, func() bool { return a.GRPCAddr() != "" }, cycleWait, 20*time.Millisecond)
	w.conn, err = grpcx.Dial(grpcx.ClientConfig{Target: a.GRPCAddr(), Token: strings.TrimSpace(string(token))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.conn.Close() })
	w.sched = schedulerv1.NewSchedulerServiceClient(w.conn)

	ref := func(tn *graphsim.Tenant) *commonv1.TenantRef {
		secret := filepath.Join(cfg.DataDir, tn.Domain()+".secret")
		require.NoError(t, os.WriteFile(secret, []byte(tn.Info().ClientSecret), 0o600))
		return &commonv1.TenantRef{TenantId: tn.ID(), Domain: tn.Domain(), ClientId: tn.Info().ClientID,
			CredentialRef: "file:" + secret, GraphUrl: sim.GraphURL(), AuthorityUrl: sim.AuthorityURL()}
	}
	rulesDoc, err := structpb.NewStruct(o.rules)
	require.NoError(t, err)
	resp, err := w.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: &schedulerv1.Configuration{
		DisplayName: o.name, Source: ref(w.source), Target: ref(w.target),
		Rules: rulesDoc, ScheduleInterval: durationpb.New(24 * time.Hour),
	}})
	require.NoError(t, err)
	w.cfgID = resp.GetConfiguration().GetId()
	return w, stop
}

// runCycle starts a cycle now through the API (pause, start) and waits for
// the log service to complete it.
func (w *world) runCycle(ctx context.Context) synclog.Progress {
	w.t.Helper()
	job := w.job(ctx)
	if job.GetState() != schedulerv1.JobState_JOB_STATE_NOT_RUN {
		_, err := w.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: w.cfgID})
		require.NoError(w.t, err)
	}
	resp, err := w.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: w.cfgID})
	require.NoError(w.t, err)
	return w.waitCycle(ctx, resp.GetJob().GetCurrentCycle().GetCycleId())
}

func (w *world) waitCycle(ctx context.Context, cycle string) synclog.Progress {
	w.t.Helper()
	require.NotEmpty(w.t, cycle)
	pr := synclog.NewProgressReader(w.app.Redis())
	var p synclog.Progress
	require.Eventually(w.t, func() bool {
		var err error
		p, err = pr.Cycle(ctx, w.cfgID, cycle)
		return err == nil && !p.Completed.IsZero()
	}, cycleWait, 50*time.Millisecond, "cycle %s never completed: %+v", cycle, &p)
	w.t.Logf("cycle %s: logged %d of %d, %v %v", cycle, p.Logged, p.Expected, p.ByAction, p.ByStatus)
	return p
}

func (w *world) job(ctx context.Context) *schedulerv1.Job {
	w.t.Helper()
	resp, err := w.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: w.cfgID})
	require.NoError(w.t, err)
	return resp.GetJob()
}

func (w *world) escrows(ctx context.Context) []redisx.Escrow {
	w.t.Helper()
	esc, err := redisx.NewEscrows(w.app.Redis()).List(ctx, w.cfgID)
	require.NoError(w.t, err)
	return esc
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
