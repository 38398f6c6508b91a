package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// TestE2EFollowsTheSource runs the five services as separate processes
// and proves, by reading both tenants back, that the target follows the
// source: the initial cycle mirrors users and groups with memberships; a
// delta cycle carries creates, updates, disables, deletes, a restore and
// membership changes (users entering and leaving scope through assigned
// groups) while writing only what changed; a scope change in the
// configuration followed by a restart brings the newly assigned group.
func TestE2EFollowsTheSource(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 300, Groups: 16, TargetUsers: 10,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	sc := assignedScope(t, c.source, 0)
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cfgID := c.createConfig(ctx, sc.Rules())
	cycle := c.startCycle(ctx, cfgID)
	p := c.waitCycle(ctx, cfgID, cycle)
	require.Zero(t, p.Failed, "failed outcomes: %v", p.ByStatus)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)
	require.Positive(t, p.ByAction["Create"])

	// A quiet delta cycle writes nothing.
	before := c.target.Stats().Writes
	c.runCycle(ctx, cfgID)
	require.Equal(t, before, c.target.Stats().Writes, "a cycle without source changes wrote to the target")

	// The source changes.
	changes := applyChanges(t, c.source, sc)
	before = c.target.Stats().Writes
	cycle2 := c.startCycle(ctx, cfgID)
	p2 := c.waitCycle(ctx, cfgID, cycle2)
	require.Zero(t, p2.Failed, "failed outcomes: %v", p2.ByStatus)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, cycle2, p2.Expected)
	writes := c.target.Stats().Writes - before
	t.Logf("delta: %d source changes, %d target writes, by action %v", changes, writes, p2.ByAction)
	require.LessOrEqual(t, writes, int64(4*changes), "writes grow with the changes, not with the tenant")
	require.Positive(t, writes)

	// Scope change: one more group assigned, then a restart (full resync).
	var extra string
	for _, id := range c.source.GroupIDs() {
		if g, ok := c.source.Group(id); ok && mirror.SupportedGroup(g) && len(g.Members) > 0 && !slices.Contains(sc.AssignedGroups, id) {
			extra = id
			break
		}
	}
	require.NotEmpty(t, extra)
	sc.AssignedGroups = append(sc.AssignedGroups, extra)
	m.Scope = sc
	got, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	upd := got.GetConfiguration()
	upd.Rules = sc.Rules()
	_, err = c.sched.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"rules"}}})
	require.NoError(t, err)
	rs, err := c.sched.RestartJob(ctx, &schedulerv1.RestartJobRequest{ConfigurationId: cfgID, ResetWatermark: true})
	require.NoError(t, err)
	cycle3 := rs.GetJob().GetCurrentCycle().GetCycleId()
	if cycle3 == "" {
		cycle3 = c.startCycle(ctx, cfgID)
	}
	p3 := c.waitCycle(ctx, cfgID, cycle3)
	require.Zero(t, p3.Failed, "failed outcomes: %v", p3.ByStatus)
	c.requireMirrored(m)
}

// applyChanges makes a representative set of source changes and returns
// how many objects it touched.
func applyChanges(t *testing.T, src *graphsim.Tenant, sc mirror.Scope) int {
	t.Helper()
	userIn, _ := sc.InScope(src)
	var in, out []graphsim.User
	for _, id := range src.UserIDs() {
		u, ok := src.User(id)
		switch {
		case !ok:
		case userIn(u):
			in = append(in, u)
		case mirror.Enabled(u):
			out = append(out, u)
		}
	}
	require.Greater(t, len(in), 6)
	require.NotEmpty(t, out)
	g0, ok := src.Group(sc.AssignedGroups[0])
	require.True(t, ok)
	g1, ok := src.Group(sc.AssignedGroups[1])
	require.True(t, ok)
	// A new hire who joins an assigned group, an enabled user who joins one.
	added, err := src.AddUser(graphsim.User{
		UserPrincipalName: "new.hire@contoso.example", Mail: "new.hire@contoso.example",
		DisplayName: "New Hire", GivenName: "New", Surname: "Hire", Department: "Sales", AccountEnabled: true,
	})
	require.NoError(t, err)
	require.NoError(t, src.AddMember(g0.ID, added.ID))
	require.NoError(t, src.AddMember(g0.ID, out[0].ID))
	// Update, disable, delete; delete and restore between two cycles.
	require.NoError(t, src.UpdateUser(in[0].ID, func(u *graphsim.User) { u.DisplayName, u.Department = "Renamed Person", "Research" }))
	require.NoError(t, src.UpdateUser(in[1].ID, func(u *graphsim.User) { u.AccountEnabled = false }))
	require.NoError(t, src.DeleteUser(in[2].ID))
	require.NoError(t, src.DeleteUser(in[3].ID))
	require.NoError(t, src.RestoreUser(in[3].ID))
	// A member leaves an assigned group (and maybe the scope).
	require.NoError(t, src.RemoveMember(g1.ID, g1.Members[0]))
	return 8
}
