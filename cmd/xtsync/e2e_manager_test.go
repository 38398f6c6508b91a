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
	"github.com/xtsync/xtsync/services/reader"
)

// TestE2EManagers: the target's manager of every synced user is the B2B
// user of its source manager. A manager listed (so provisioned) after its
// report in the initial cycle is not provisioned when the report is
// decided: the reference waits (referenceResolution warning, revisit set)
// and a later cycle sets it. A delta that changes one manager and removes
// another is followed.
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
	c.runCycle(ctx, cfgID)
	c.requireMirrored(m)
	require.Empty(t, targetOf(in[3]).ManagerID,
		"the report was decided before its manager (read after it) was provisioned")
	pending := m.Managers(c.source, c.target)
	require.NotEmpty(t, pending)
	t.Logf("after the initial cycle %d manager(s) wait for their manager", len(pending))

	// The next cycle revisits the waiting reports and resolves them.
	for i := 0; i < 3 && len(m.Managers(c.source, c.target)) > 0; i++ {
		c.runCycle(ctx, cfgID)
	}
	p := m.Managers(c.source, c.target)
	require.Empty(t, p, "managers differ:\n%s", mirror.FirstN(p, 10))
	require.Equal(t, targetOf(last).ID, targetOf(in[3]).ManagerID)
	require.Equal(t, targetOf(in[3]).ID, targetOf(in[4]).ManagerID)

	// A delta: one manager changed, one removed.
	require.NoError(t, c.source.SetManager(in[1], in[5]))
	require.NoError(t, c.source.SetManager(in[2], ""))
	c.runCycle(ctx, cfgID)
	p = m.Managers(c.source, c.target)
	require.Empty(t, p, "managers differ after the delta:\n%s", mirror.FirstN(p, 10))
	require.Equal(t, targetOf(in[5]).ID, targetOf(in[1]).ManagerID)
	require.Empty(t, targetOf(in[2]).ManagerID, "a manager removed in the source is removed in the target")
	c.requireMirrored(m)
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

// managerCluster is a cluster whose reader may select manager (opt-in per
// process; per configuration the mappings decide), every source manager
// cleared so the test sets the ones it reasons about, and the in-scope
// source user ids (at least `least` of them).
func managerCluster(t *testing.T, users, least int) (*cluster, mirror.Scope, *mirror.Mirror, []string) {
	t.Helper()
	c := newCluster(t, clusterSpec{Users: users, TargetUsers: 3,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		Flags:        []string{"-reader.user-select=" + strings.Join(append(reader.DefaultUserSelect(), "manager"), ",")}})
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
