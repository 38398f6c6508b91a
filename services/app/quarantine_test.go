package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
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

func startWorld(t *testing.T, ctx context.Context, sourceUsers int) *world {
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
		{Domain: "contoso.example", Users: sourceUsers, Seed: 3, Limits: unlimited},
		{Domain: "fabrikam.example", Users: 3, Seed: 4, Limits: unlimited},
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
	tokenFile, err := app.EnsureLocalAdminToken(&cfg)
	require.NoError(t, err)
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(cfg, app.Options{Logger: logger, GraphHTTPClient: sim.HTTPClient()})
	require.NoError(t, err)
	w.app = a
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, []string{app.All}) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
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
	rulesDoc, err := structpb.NewStruct(map[string]any{
		"scope": "AllUsers",
		"users": map[string]any{"scopingFilters": []any{map[string]any{
			"title":   "enabled users",
			"clauses": []any{map[string]any{"attribute": "accountEnabled", "operator": "IS TRUE"}},
		}}},
	})
	require.NoError(t, err)
	resp, err := w.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: &schedulerv1.Configuration{
		DisplayName: "contoso to fabrikam", Source: ref(w.source), Target: ref(w.target),
		Rules: rulesDoc, ScheduleInterval: durationpb.New(24 * time.Hour),
	}})
	require.NoError(t, err)
	w.cfgID = resp.GetConfiguration().GetId()
	return w
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

// TestEscrowRetriesTheFailingObject: one source user whose address the
// target refuses (400 on the invitation) fails alone, is escrowed, and is
// retried by the next cycle although nothing changed in the source; once
// the source is fixed, the retry succeeds and the escrow is cleared.
func TestEscrowRetriesTheFailingObject(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := startWorld(t, ctx, 12)
	bad, err := w.source.AddUser(graphsim.User{UserPrincipalName: "bad.mail@contoso.example", Mail: "bad mail@contoso.example",
		DisplayName: "Bad Mail", GivenName: "Bad", Surname: "Mail", AccountEnabled: true})
	require.NoError(t, err)

	p := w.runCycle(ctx)
	require.EqualValues(t, 1, p.Failed, "%v", p.ByStatus)
	require.Positive(t, p.Succeeded)
	require.NotEqual(t, synclog.ReasonEscrowProportion, p.Verdict, "one failure does not quarantine")
	esc := w.escrows(ctx)
	require.Len(t, esc, 1)
	require.Equal(t, bad.ID, esc[0].ObjectID)
	require.Equal(t, string(rules.InvalidAttributeValue), esc[0].Code, esc[0].Message)
	require.EqualValues(t, 1, w.job(ctx).GetEscrowedObjects())
	for _, id := range w.source.UserIDs() {
		if u, _ := w.source.User(id); id != bad.ID && inScope(u) {
			_, ok := w.target.UserByMail(u.Mail)
			require.True(t, ok, "%s is provisioned although another object failed", u.UserPrincipalName)
		}
	}

	// Nothing changed in the source: the escrowed object alone is retried.
	p = w.runCycle(ctx)
	require.EqualValues(t, 1, p.Failed, "%v", p.ByStatus)
	require.EqualValues(t, 1, p.Logged)
	esc = w.escrows(ctx)
	require.Len(t, esc, 1)
	require.EqualValues(t, 2, esc[0].Count, "failed again in the next cycle")

	require.NoError(t, w.source.UpdateUser(bad.ID, func(u *graphsim.User) { u.Mail = "bad.mail@contoso.example" }))
	p = w.runCycle(ctx)
	require.Zero(t, p.Failed, "%v", p.ByStatus)
	require.Empty(t, w.escrows(ctx))
	_, ok := w.target.UserByMail("bad.mail@contoso.example")
	require.True(t, ok)
}

// TestQuarantineOnRevokedCredentialsAndRecovery: the target revokes the
// app's access; the writes fail with AuthorizationDenied, the log service
// quarantines the job with a reason and a next attempt, the scheduler
// reports Quarantine and starts nothing before that time; once the access
// is back and the back-off has passed, the scheduler runs a cycle by
// itself, the escrowed objects are retried and the job recovers.
func TestQuarantineOnRevokedCredentialsAndRecovery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := startWorld(t, ctx, 10)
	p := w.runCycle(ctx)
	require.Zero(t, p.Failed, "%v", p.ByStatus)

	var changed []graphsim.User
	for _, id := range w.source.UserIDs() {
		if u, _ := w.source.User(id); inScope(u) && len(changed) < 3 {
			require.NoError(t, w.source.UpdateUser(id, func(u *graphsim.User) { u.JobTitle = "Quarantine Tester" }))
			changed = append(changed, u)
		}
	}
	require.Len(t, changed, 3)
	setLimits := func(unauthorized bool) {
		require.NoError(t, w.sim.SetLimits(w.target.ID(), graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Unauthorized: unauthorized}))
	}
	setLimits(true)
	p = w.runCycle(ctx)
	require.EqualValues(t, 3, p.Failed, "%v", p.ByStatus)
	require.Equal(t, synclog.ReasonAuthFailures, p.Verdict)
	for _, e := range w.escrows(ctx) {
		require.Equal(t, string(rules.AuthorizationDenied), e.Code, e.Message)
	}

	job := w.job(ctx)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_QUARANTINE, job.GetState())
	require.Equal(t, synclog.ReasonAuthFailures, job.GetReason())
	require.Contains(t, job.GetQuarantine().GetMessage(), "credentials")
	next := job.GetQuarantine().GetNextAttemptTime().AsTime()
	require.WithinDuration(t, time.Now().Add(redisx.DefaultQuarantinePolicy.First), next, 5*time.Minute,
		"first back-off: the next attempt an hour later")
	last := job.GetLastCycle().GetCycleId()

	// The schedule says "due now", the quarantine says "not yet": the
	// leader starts nothing (it ticks every 50ms; give it many ticks).
	rdb := w.app.Redis()
	require.NoError(t, rdb.HSet(ctx, "xtsync:{"+w.cfgID+"}:job", "next", 0).Err())
	time.Sleep(time.Second)
	job = w.job(ctx)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_QUARANTINE, job.GetState())
	require.Empty(t, job.GetCurrentCycle().GetCycleId(), "no cycle during the back-off")
	require.Equal(t, last, job.GetLastCycle().GetCycleId())

	// Access restored, and the back-off has passed (rewound rather than
	// waiting an hour).
	setLimits(false)
	key := "xtsync:{" + w.cfgID + "}:quarantine"
	raw, err := rdb.Get(ctx, key).Bytes()
	require.NoError(t, err)
	var q map[string]any
	require.NoError(t, json.Unmarshal(raw, &q))
	q["nextAttempt"] = time.Now().Add(-time.Second).UnixMilli()
	raw, err = json.Marshal(q)
	require.NoError(t, err)
	require.NoError(t, rdb.Set(ctx, key, raw, 0).Err())

	var cycle string
	require.Eventually(t, func() bool {
		j := w.job(ctx)
		cycle = j.GetCurrentCycle().GetCycleId()
		if cycle == "" && j.GetLastCycle().GetCycleId() != last {
			cycle = j.GetLastCycle().GetCycleId()
		}
		return cycle != ""
	}, cycleWait, 50*time.Millisecond, "the scheduler starts a cycle once the back-off passed")
	p = w.waitCycle(ctx, cycle)
	require.Zero(t, p.Failed, "%v", p.ByStatus)
	require.EqualValues(t, 3, p.Succeeded, "the escrowed objects are retried")
	require.Eventually(t, func() bool {
		j := w.job(ctx)
		return j.GetState() == schedulerv1.JobState_JOB_STATE_ACTIVE && j.GetQuarantine() == nil
	}, cycleWait, 50*time.Millisecond, "a healthy cycle releases the quarantine")
	require.Empty(t, w.escrows(ctx))
	for _, u := range changed {
		got, ok := w.target.UserByMail(u.Mail)
		require.True(t, ok)
		require.Equal(t, "Quarantine Tester", got.JobTitle)
	}
	_, err = redisx.NewQuarantines(rdb, redisx.QuarantinePolicy{}).Get(ctx, w.cfgID)
	require.True(t, errors.Is(err, redisx.ErrNotFound), "%v", err)
}

// inScope is the test rules' scope: enabled internal members.
func inScope(u graphsim.User) bool {
	return u.AccountEnabled && u.Mail != "" && !strings.EqualFold(u.UserType, "Guest") &&
		!strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#")
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestTargetObjectDeletedIsCreatedAgain: an admin of the target deletes a
// provisioned user; the next update fails with InvalidAnchor (404) and
// drops the connector entry, and the cycle after that creates the user
// again through the escrow's retry.
func TestTargetObjectDeletedIsCreatedAgain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := startWorld(t, ctx, 8)
	p := w.runCycle(ctx)
	require.Zero(t, p.Failed, "%v", p.ByStatus)

	var src graphsim.User
	for _, id := range w.source.UserIDs() {
		if u, _ := w.source.User(id); inScope(u) {
			src = u
			break
		}
	}
	old, ok := w.target.UserByMail(src.Mail)
	require.True(t, ok)
	require.NoError(t, w.target.DeleteUser(old.ID))
	require.NoError(t, w.source.UpdateUser(src.ID, func(u *graphsim.User) { u.JobTitle = "Came Back" }))

	p = w.runCycle(ctx)
	require.EqualValues(t, 1, p.Failed, "%v", p.ByStatus)
	esc := w.escrows(ctx)
	require.Len(t, esc, 1)
	require.Equal(t, string(rules.InvalidAnchor), esc[0].Code, esc[0].Message)

	p = w.runCycle(ctx)
	require.Zero(t, p.Failed, "%v", p.ByStatus)
	require.EqualValues(t, 1, p.ByAction["Create"], "%v", p.ByAction)
	require.Empty(t, w.escrows(ctx))
	got, ok := w.target.UserByMail(src.Mail)
	require.True(t, ok)
	require.NotEqual(t, old.ID, got.ID)
	require.Equal(t, "Came Back", got.JobTitle)
}
