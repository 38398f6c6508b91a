package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/app"
)

// TestAllInOneFollowsTheSource runs the product's main job end to end with
// real parts only: the five services in one process through app.Runner,
// embedded JetStream, a redis-server child, graphsim driven through the
// real Graph SDK, the configuration and the job through the gRPC API.
// The initial cycle makes every in-scope source user a B2B user of the
// target with the mapped attributes, once; after a create, an update and a
// delete in the source, a delta cycle makes the target follow.
func TestAllInOneFollowsTheSource(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: starts the whole process")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var cfg app.Config
	cfg.RegisterFlags(flag.NewFlagSet("test", flag.PanicOnError))
	cfg.DataDir = t.TempDir()
	cfg.GRPC.ListenAddr = "127.0.0.1:0"
	d := demoConfig{Users: 200, Groups: 10, TargetUsers: 20, Interval: 24 * time.Hour, Poll: 100 * time.Millisecond, dataDirSet: true}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dm, err := startDemo(ctx, cfg, d, logger)
	require.NoError(t, err)
	defer dm.close()
	addr := dm.app.GRPCAddr()
	require.NoError(t, probe(ctx, addr), "xtsync -health")
	preB2B := countB2B(dm.target)
	api := dm.api()
	cfgID, err := api.configure(ctx, dm, d.Interval)
	require.NoError(t, err)
	cycle, err := api.start(ctx, cfgID)
	require.NoError(t, err)
	p, err := dm.waitCycle(ctx, cfgID, cycle, d.Poll, io.Discard)
	require.NoError(t, err)
	require.Zero(t, p.Failed, "failed outcomes: %v", p.ByStatus)

	want := requireMirrored(t, dm)
	require.Equal(t, preB2B+want, countB2B(dm.target), "one B2B user per in-scope source user, none duplicated")
	require.EqualValues(t, want, p.ByAction["Create"])

	// The source changes: one user joins, one is renamed and moves, one leaves.
	var enabled []graphsim.User
	for _, id := range dm.source.UserIDs() {
		if u, _ := dm.source.User(id); inScope(u) {
			enabled = append(enabled, u)
		}
	}
	added, err := dm.source.AddUser(graphsim.User{
		UserPrincipalName: "new.hire@contoso.example", Mail: "new.hire@contoso.example",
		DisplayName: "New Hire", GivenName: "New", Surname: "Hire", Department: "Sales", AccountEnabled: true,
	})
	require.NoError(t, err)
	updated, deleted := enabled[0], enabled[1]
	require.NoError(t, dm.source.UpdateUser(updated.ID, func(u *graphsim.User) {
		u.DisplayName, u.Department = "Renamed Person", "Research"
	}))
	deletedTarget, ok := dm.target.UserByMail(invited(deleted))
	require.True(t, ok)
	require.NoError(t, dm.source.DeleteUser(deleted.ID))

	// Run a delta cycle now (the schedule is a day away): pause, start.
	_, err = api.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	cycle2, err := api.start(ctx, cfgID)
	require.NoError(t, err)
	require.NotEqual(t, cycle, cycle2)
	p2, err := dm.waitCycle(ctx, cfgID, cycle2, d.Poll, io.Discard)
	require.NoError(t, err)
	require.Zero(t, p2.Failed, "failed outcomes: %v", p2.ByStatus)

	got, ok := dm.target.UserByMail(added.Mail)
	require.True(t, ok, "the new source user is a B2B user of the target")
	require.Equal(t, "New Hire", got.DisplayName)
	got, ok = dm.target.UserByMail(invited(updated))
	require.True(t, ok)
	require.Equal(t, "Renamed Person", got.DisplayName)
	require.Equal(t, "Research", got.Department)
	_, ok = dm.target.UserByMail(invited(deleted))
	require.False(t, ok, "the deleted source user is gone from the target")
	gone, _ := dm.target.User(deletedTarget.ID)
	require.NotNil(t, gone.DeletedDateTime, "soft deleted (restorable), as Entra's SoftDelete does")
	requireMirrored(t, dm)
	require.Equal(t, preB2B+want, countB2B(dm.target), "+1 created, -1 deleted")

	require.NoError(t, dm.stop())
	require.Error(t, probe(ctx, addr), "xtsync -health after the stop")
}

// requireMirrored checks every source user against the target: an enabled
// one has exactly one live B2B user with the mapped attributes, an
// out-of-scope one has none. It returns the number of in-scope users.
func requireMirrored(t *testing.T, dm *demo) int {
	t.Helper()
	n := 0
	for _, id := range dm.source.UserIDs() {
		src, _ := dm.source.User(id)
		tgt, ok := dm.target.UserByMail(invited(src))
		if !inScope(src) {
			require.False(t, ok && strings.Contains(tgt.UserPrincipalName, "#EXT#"), "out of scope %s was provisioned", src.UserPrincipalName)
			continue
		}
		n++
		require.True(t, ok, "in-scope %s has no B2B user", src.UserPrincipalName)
		require.Contains(t, tgt.UserPrincipalName, "#EXT#")
		require.Equal(t, src.DisplayName, tgt.DisplayName, src.UserPrincipalName)
		require.Equal(t, src.GivenName, tgt.GivenName, src.UserPrincipalName)
		require.Equal(t, src.Surname, tgt.Surname, src.UserPrincipalName)
		require.Equal(t, src.Department, tgt.Department, src.UserPrincipalName)
		require.Equal(t, src.JobTitle, tgt.JobTitle, src.UserPrincipalName)
		require.Equal(t, src.AccountEnabled, tgt.AccountEnabled, src.UserPrincipalName)
	}
	return n
}

// inScope is the demo rules' scope: enabled internal members (external
// users of the source are never synchronized, pkg/rules/decide/scope.go).
func inScope(u graphsim.User) bool {
	return u.AccountEnabled && !strings.EqualFold(u.UserType, "Guest") &&
		!strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#")
}

// invited is the address the writer invites a source user with.
func invited(u graphsim.User) string {
	switch {
	case u.Mail != "":
		return u.Mail
	case len(u.OtherMails) > 0:
		return u.OtherMails[0]
	}
	return u.UserPrincipalName
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
