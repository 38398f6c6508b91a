package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// TestE2EBigGroup: an "All employees" group with every enabled user of the
// source as a direct member, ten times redisx.InlineMembers, so its members
// travel as member sets from the reader to the writer. The initial cycle
// gives the target copy every member exactly once (one log entry per
// object); a delta cycle that removes and adds members of the big group
// (new hires, leavers) is mirrored too.
func TestE2EBigGroup(t *testing.T) {
	const size = 10 * redisx.InlineMembers
	c := newCluster(t, clusterSpec{Users: size + size/10, Groups: 2, TargetUsers: 10,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		// 64 KB: the big group's ids inline (~190 KB) would be refused.
		NATSMaxPayload: 64 << 10,
		Flags: []string{"-writer.writes-per-minute=1000000", "-writer.write-burst=2000",
			"-reader.page-size=20", "-reader.max-batch-bytes=24576"}})
	g, err := c.source.AddGroup(graphsim.Group{DisplayName: "All employees", MailNickname: "all-employees", SecurityEnabled: true})
	require.NoError(t, err)
	for _, id := range c.source.UserIDs() {
		if u, _ := c.source.User(id); mirror.Enabled(u) && len(g.Members) < size {
			require.NoError(t, c.source.AddMember(g.ID, id))
			g.Members = append(g.Members, id)
		}
	}
	require.Len(t, g.Members, size)
	sc := mirror.Scope{AssignedGroups: []string{g.ID}}
	m := mirror.New(c.target, sc)
	c.startFive()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	cfgID := c.createConfig(ctx, sc.Rules())
	cycle := c.startCycle(ctx, cfgID)
	p := c.waitCycle(ctx, cfgID, cycle)
	require.Zero(t, p.Failed, "failed outcomes: %v", p.ByStatus)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)
	requireMembersOnce(t, c.target, size)

	// The delta: 50 leave the group (and the scope), 30 new hires join it.
	for _, id := range g.Members[:50] {
		require.NoError(t, c.source.RemoveMember(g.ID, id))
	}
	for i := range 30 {
		upn := fmt.Sprintf("hire%02d@contoso.example", i)
		u, err := c.source.AddUser(graphsim.User{UserPrincipalName: upn, Mail: upn, DisplayName: fmt.Sprintf("Hire %d", i),
			GivenName: "Hire", Surname: fmt.Sprint(i), Department: "Sales", AccountEnabled: true})
		require.NoError(t, err)
		require.NoError(t, c.source.AddMember(g.ID, u.ID))
	}
	before := c.target.Stats().Writes
	cycle2 := c.startCycle(ctx, cfgID)
	p2 := c.waitCycle(ctx, cfgID, cycle2)
	require.Zero(t, p2.Failed, "failed outcomes: %v", p2.ByStatus)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, cycle2, p2.Expected)
	requireMembersOnce(t, c.target, size-50+30)
	t.Logf("delta: %d target writes, by action %v", c.target.Stats().Writes-before, p2.ByAction)
}

// requireMembersOnce finds the target's copy of the big group and checks
// it has n members, none twice.
func requireMembersOnce(t *testing.T, target *graphsim.Tenant, n int) {
	t.Helper()
	for _, id := range target.GroupIDs() {
		if g, ok := target.Group(id); ok && g.DisplayName == "All employees" {
			seen := make(map[string]bool, len(g.Members))
			for _, m := range g.Members {
				require.False(t, seen[m], "member %s twice", m)
				seen[m] = true
			}
			require.Len(t, g.Members, n)
			return
		}
	}
	t.Fatal("the big group is not in the target")
}
