package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// enabledUsers lists the source's enabled internal users.
func enabledUsers(src *graphsim.Tenant) []graphsim.User {
	var out []graphsim.User
	for _, id := range src.UserIDs() {
		if u, ok := src.User(id); ok && mirror.Enabled(u) {
			out = append(out, u)
		}
	}
	return out
}

func (c *cluster) job(ctx context.Context, cfgID string) *schedulerv1.Job {
	c.t.Helper()
	resp, err := c.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cfgID})
	require.NoError(c.t, err)
	return resp.GetJob()
}

// TestE2EMatchesExistingB2BUsers: a source user who was invited to the
// target by hand before sync (a B2B user with the same mail) is matched
// and updated, not duplicated.
func TestE2EMatchesExistingB2BUsers(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 30, TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	src := enabledUsers(c.source)
	var invited []graphsim.User
	for _, u := range src[:3] {
		g, err := c.target.AddUser(graphsim.User{
			UserPrincipalName: "preinvited" + u.ID[:8] + "_contoso.example#EXT#@" + c.target.Domain(),
			Mail:              u.Mail, DisplayName: "Invited by hand", UserType: "Guest", AccountEnabled: true,
			OtherMails: []string{u.Mail}, CreationType: "Invitation",
		})
		require.NoError(t, err)
		invited = append(invited, g)
	}
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)
	for i, g := range invited {
		got, ok := c.target.User(g.ID)
		require.True(t, ok)
		require.Equal(t, src[i].DisplayName, got.DisplayName, "the preexisting B2B user was matched and updated")
	}
}

// TestE2EOnDemandPauseRestart: provisioning on demand of an assigned user
// creates it at once and answers with the steps; an unassigned one is
// refused with NotEffectivelyEntitled; a paused job runs no cycle; a
// restart with a reset watermark runs a full cycle that writes nothing
// when the target is already in step.
func TestE2EOnDemandPauseRestart(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 40, TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	src := enabledUsers(c.source)
	sc := mirror.Scope{AssignedUsers: []string{src[0].ID, src[1].ID, src[2].ID}}
	m := mirror.New(c.target, sc)
	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())

	od, err := c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID,
		Objects: []*commonv1.ObjectRef{
			{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: src[0].ID},
			{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: src[5].ID},
		}, Timeout: durationpb.New(time.Minute)})
	require.NoError(t, err)
	require.Len(t, od.GetResults(), 2)
	byID := map[string]*schedulerv1.OnDemandResult{}
	for _, r := range od.GetResults() {
		byID[r.GetObject().GetObjectId()] = r
	}
	in, out := byID[src[0].ID], byID[src[5].ID]
	require.NotNil(t, in)
	require.NotNil(t, out)
	require.True(t, strings.EqualFold(in.GetStatus(), "success"), "on-demand of an assigned user: %v", in)
	require.Contains(t, in.GetStepsJson(), "EntryImport", "the steps of the provisioning log")
	require.NotEmpty(t, in.GetTargetObjectId())
	tgt, ok := c.target.UserByMail(mirror.Invited(src[0]))
	require.True(t, ok, "created at once")
	require.Equal(t, tgt.ID, in.GetTargetObjectId())
	require.Equal(t, "NotEffectivelyEntitled", out.GetError().GetCode(), "on-demand of an unassigned user: %v", out)
	_, ok = c.target.UserByMail(mirror.Invited(src[5]))
	require.False(t, ok)

	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)

	// Pause: the job is paused with no next run; start resumes it.
	_, err = c.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	j := c.job(ctx, cfgID)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_PAUSED, j.GetState())
	require.Nil(t, j.GetNextRunTime(), "a paused job is not scheduled")
	c.runCycle(ctx, cfgID)
	require.Equal(t, schedulerv1.JobState_JOB_STATE_ACTIVE, c.job(ctx, cfgID).GetState())
	writes := c.target.Stats().Writes

	rs, err := c.sched.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: cfgID, ResetWatermark: true})
	require.NoError(t, err)
	cycle := rs.GetJob().GetCurrentCycle().GetCycleId()
	if cycle == "" {
		cycle = c.startCycle(ctx, cfgID)
	}
	p := c.waitCycle(ctx, cfgID, cycle)
	require.Equal(t, "full", p.Mode, "a restart with a reset watermark reads everything again")
	require.Zero(t, p.Failed)
	require.Equal(t, writes, c.target.Stats().Writes, "a full resync of a target in step writes nothing")
	c.requireMirrored(m)
}

// TestE2EDeletionThreshold: a cycle that would delete more users than
// the threshold deletes none and pauses the job with the reason; a
// restart with force-deletes approves and applies them. A cycle under the
// threshold deletes as usual.
func TestE2EDeletionThreshold(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 60, TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	sc := mirror.Scope{AllUsers: true, Threshold: 5}
	m := mirror.New(c.target, sc)
	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)

	src := enabledUsers(c.source)
	// Under the threshold: 3 deletes go through.
	for _, u := range src[:3] {
		require.NoError(t, c.source.DeleteUser(u.ID))
	}
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)

	// Over it: 8 deletes (and one update) in one cycle.
	var victims []string
	for _, u := range src[3:11] {
		tgt, ok := c.target.UserByMail(mirror.Invited(u))
		require.True(t, ok)
		victims = append(victims, tgt.ID)
		require.NoError(t, c.source.DeleteUser(u.ID))
	}
	require.NoError(t, c.source.UpdateUser(src[20].ID, func(u *graphsim.User) { u.JobTitle = "Still Updated" }))
	cycle := c.startCycle(ctx, cfgID)
	p := c.waitCycle(ctx, cfgID, cycle)
	t.Logf("held cycle: %v %v", p.ByAction, p.ByStatus)
	for _, id := range victims {
		u, _ := c.target.User(id)
		require.Nil(t, u.DeletedDateTime, "nothing is deleted over the threshold")
	}
	got, _ := c.target.UserByMail(mirror.Invited(src[20]))
	require.Equal(t, "Still Updated", got.JobTitle, "the rest of the cycle is applied")
	require.Eventually(t, func() bool {
		j := c.job(ctx, cfgID)
		return j.GetState() == schedulerv1.JobState_JOB_STATE_PAUSED && j.GetReason() == "DeletionThresholdExceeded"
	}, 30*time.Second, 100*time.Millisecond, "the job pauses with the reason")

	// Approve: restart with force-deletes.
	_, err := c.sched.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: cfgID, ForceDeletes: true})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, id := range victims {
			if u, _ := c.target.User(id); u.DeletedDateTime == nil {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "the approved deletions are applied")
	c.requireMirrored(m)
}

// TestE2ERestoreBringsBackTheTargetUser: a user deleted in the source is
// soft deleted in the target; restored in the source, the same target
// user is restored (not a new one created). All services in one process.
func TestE2ERestoreBringsBackTheTargetUser(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 40, TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)

	var victim graphsim.User
	for _, id := range c.source.UserIDs() {
		if u, _ := c.source.User(id); mirror.Enabled(u) {
			victim = u
			break
		}
	}
	tgt, ok := c.target.UserByMail(mirror.Invited(victim))
	require.True(t, ok)
	require.NoError(t, c.source.DeleteUser(victim.ID))
	c.runCycle(ctx, cfgID)
	gone, _ := c.target.User(tgt.ID)
	require.NotNil(t, gone.DeletedDateTime, "soft deleted in the target")
	c.requireMirrored(m)

	require.NoError(t, c.source.RestoreUser(victim.ID))
	c.runCycle(ctx, cfgID)
	back, _ := c.target.User(tgt.ID)
	require.Nil(t, back.DeletedDateTime, "the same target user is restored")
	c.requireMirrored(m)
}
