package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/synclog"
)

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
