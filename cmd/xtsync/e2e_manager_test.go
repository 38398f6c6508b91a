package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
)

// TestE2EManagers: managers are synchronized by default, within the
// cycle: the target's manager of every synced user is the B2B user of its
// source manager after the initial cycle, also for reports listed (so
// decided) before their manager, and for a chain of them: the references
// round sets them once the cycle's users are written. Each object has one
// log entry in the cycle (the manager step is part of the report's
// entry), and the next cycle writes nothing. A delta that changes one
// manager, removes another and hires a new manager for a report is
// followed in that cycle.
func TestE2EManagers(t *testing.T) {
	c, sc, m, in := managerCluster(t, 40, 8)
	last := in[len(in)-1] // listed, read and provisioned after its reports
	for report, mgr := range map[string]string{in[1]: in[0], in[2]: in[0], in[3]: last, in[4]: in[3], in[5]: last} {
		require.NoError(t, c.source.SetManager(report, mgr))
	}
	targetOf := func(src string) graphsim.User {
		t.Helper()
		u, _ := c.source.User(src)
		for _, id := range c.target.UserIDs() {
			if tu, ok := c.target.User(id); ok && mirror.IsB2B(tu) && strings.EqualFold(tu.Mail, mirror.Invited(u)) {
				return tu
			}
		}
		t.Fatalf("no B2B user for %s", u.UserPrincipalName)
		return graphsim.User{}
	}

	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	p := c.runCycle(ctx, cfgID)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, p.CycleID, p.Expected)
	pending := m.Managers(c.source, c.target)
	require.Empty(t, pending, "managers differ after the initial cycle:\n%s", mirror.FirstN(pending, 10))
	require.Equal(t, targetOf(last).ID, targetOf(in[3]).ManagerID, "a manager provisioned after its report")
	require.Equal(t, targetOf(in[3]).ID, targetOf(in[4]).ManagerID, "a chain")
	steps := ""
	for _, e := range c.logEntries(ctx, cfgID, p.CycleID) {
		if e.GetSource().GetObjectId() == in[3] {
			steps = e.GetStepsJson()
		}
	}
	require.Contains(t, steps, "references round", "the manager's step is part of the report's entry")

	before := c.target.Stats().Writes
	c.runCycle(ctx, cfgID)
	require.Zero(t, c.target.Stats().Writes-before, "the second cycle writes nothing")

	// A delta: one manager changed, one removed, a new hire as manager.
	hire, err := c.source.AddUser(graphsim.User{DisplayName: "New Boss", UserPrincipalName: "new.boss@" + c.source.Domain(),
		Mail: "new.boss@" + c.source.Domain(), AccountEnabled: true, UserType: "Member", Department: "Sales"})
	require.NoError(t, err)
	require.NoError(t, c.source.SetManager(in[1], in[5]))
	require.NoError(t, c.source.SetManager(in[2], ""))
	require.NoError(t, c.source.SetManager(in[6], hire.ID))
	p = c.runCycle(ctx, cfgID)
	c.requireLoggedOnce(ctx, cfgID, p.CycleID, p.Expected)
	pending = m.Managers(c.source, c.target)
	require.Empty(t, pending, "managers differ after the delta:\n%s", mirror.FirstN(pending, 10))
	require.Equal(t, targetOf(in[5]).ID, targetOf(in[1]).ManagerID)
	require.Empty(t, targetOf(in[2]).ManagerID, "a manager removed in the source is removed in the target")
	require.Equal(t, targetOf(hire.ID).ID, targetOf(in[6]).ManagerID)
	c.requireMirrored(m)
	before = c.target.Stats().Writes
	c.runCycle(ctx, cfgID)
	require.Zero(t, c.target.Stats().Writes-before, "quiet again")
}

// TestE2EManagerMappingAdded: the users $select follows the
// configuration's mappings. Without a manager mapping no manager is read
// nor written; adding it (UpdateConfiguration, no restart) makes the next
// cycle read the users again in full (the old delta link was made without
// manager) and set every manager at once, since every manager is
// provisioned by then; the cycle after writes nothing.
func TestE2EManagerMappingAdded(t *testing.T) {
	c, sc, m, in := managerCluster(t, 30, 6)
	last := in[len(in)-1]
	for report, mgr := range map[string]string{in[1]: in[0], in[2]: last, in[3]: in[2]} {
		require.NoError(t, c.source.SetManager(report, mgr))
	}

	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rules := sc.Rules()
	noManager := slices.DeleteFunc(mapping.DefaultUser(), func(s mapping.Spec) bool { return s.Target == "manager" })
	raw, err := json.Marshal(noManager)
	require.NoError(t, err)
	var specs []any
	require.NoError(t, json.Unmarshal(raw, &specs))
	users := rules.GetFields()["users"].GetStructValue().AsMap()
	users["mappings"] = specs
	uv, err := structpb.NewValue(users)
	require.NoError(t, err)
	rules.Fields["users"] = uv
	cfgID := c.createConfig(ctx, rules)
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)
	require.Len(t, m.Managers(c.source, c.target), 3, "manager not mapped: none is set")

	got, err := c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID})
	require.NoError(t, err)
	upd := got.GetConfiguration()
	upd.Rules = sc.Rules() // Entra's default user mappings: manager included
	_, err = c.sched.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
		Configuration: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"rules"}}})
	require.NoError(t, err)
	before := c.target.Stats().Writes
	c.runCycle(ctx, cfgID)
	p := m.Managers(c.source, c.target)
	require.Empty(t, p, "managers differ after the mapping was added:\n%s", mirror.FirstN(p, 10))
	t.Logf("the cycle after the mapping was added wrote %d times", c.target.Stats().Writes-before)
	c.requireMirrored(m)

	before = c.target.Stats().Writes
	c.runCycle(ctx, cfgID)
	require.Zero(t, c.target.Stats().Writes-before, "a quiet cycle writes nothing")
}

// managerCluster is a cluster (manager synchronized by default; per
// configuration the mappings decide) with every source manager cleared so
// the test sets the ones it reasons about, and the in-scope source user
// ids (at least `least` of them).
func managerCluster(t *testing.T, users, least int) (*cluster, mirror.Scope, *mirror.Mirror, []string) {
	t.Helper()
	c := newCluster(t, clusterSpec{Users: users, TargetUsers: 3,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	userIn, _ := sc.InScope(c.source)
	var in []string
	for _, id := range c.source.UserIDs() {
		if u, ok := c.source.User(id); ok && userIn(u) {
			in = append(in, id)
		}
	}
	require.GreaterOrEqual(t, len(in), least)
	for _, id := range c.source.UserIDs() {
		require.NoError(t, c.source.SetManager(id, ""))
	}
	return c, sc, m, in
}
