package reader

import (
	"context"

	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// membersFilter reports whether a delta round must list the members of a
// changed group (nil: every group's). Listing costs a Graph page per 999
// members of every group the delta reports, whatever changed in it, so a
// tenant with big groups pays for them on every delta cycle.
type membersFilter func(groupID string) bool

// MembersMatter returns which groups' member lists a configuration's
// decisions read, per dc (nil rules: every group's). The transformer reads
// member_ids in two places only, both for a group assigned under
// AssignedOnly: the assigned members (trackMembers: users' scope) and the
// group's own write (Decide provisions groups only under AssignedOnly and
// only assigned ones; deprovisioning one reads no members). With AllUsers
// no group's members matter: groups are not synchronized and users need
// no assignment. Such a group still goes out as a change (decided as a
// Skip, logged once), with no members.
func MembersMatter(dc *decide.Config) func(groupID string) bool {
	if dc == nil {
		return nil
	}
	if dc.Mode != scope.AssignedOnly {
		return func(string) bool { return false }
	}
	return func(id string) bool { return dc.Assignments.Group(id).Assigned }
}

// membersFilter resolves the filter of this cycle from the configuration's
// rules (Deps.Rules), read once per cycle. Without rules, or when they
// cannot be read, every changed group is listed, as before the filter: a
// group's list left out where it mattered would empty its members.
//
// The rules are those of the read: an assignment added later is seen by
// the cycle that reads the group next (or, as any scope change, by the
// restart's full import, which takes the members from members@delta). A
// change of the assignments between this read and the transformer's
// decision of the group (the same cycle) makes a newly assigned group
// look empty until its next change or the restart.
func (c *cycle) membersFilter(ctx context.Context) membersFilter {
	if c.r.deps.Rules == nil {
		return nil
	}
	comp, err := c.r.deps.Rules.Rules(ctx, c.start.GetConfigurationId())
	if err != nil || comp == nil || comp.Config == nil {
		c.log.Warn("rules unavailable: listing the members of every changed group", "err", err)
		return nil
	}
	return MembersMatter(comp.Config)
}
