// Package mirror computes what a target tenant must hold for a source
// tenant under a simple configuration scope, from both tenants read back
// from graphsim (never from xtsync's own records), and lists every
// difference: the oracle of the end-to-end tests and the scale harness.
package mirror

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
)

// Mirror is what the target should hold for the source, computed from
// both tenants read back from graphsim (never from xtsync's own records).
type Mirror struct {
	// preexisting target users (ids) that no source object accounts for.
	pre map[string]bool
	// scope is the configuration's scope, as the test set it.
	Scope Scope
}

// Scope is what the rules of an e2e configuration put in scope:
// enabled internal users (all of them, or those assigned directly or as
// direct members of an assigned group), assigned groups.
type Scope struct {
	AllUsers       bool
	AssignedUsers  []string
	AssignedGroups []string
	// Threshold of the accidental-deletion prevention; 0 turns it off.
	Threshold int
}

func New(target *graphsim.Tenant, sc Scope) *Mirror {
	m := &Mirror{pre: map[string]bool{}, Scope: sc}
	for _, id := range target.UserIDs() {
		m.pre[id] = true
	}
	return m
}

// Enabled: the rules' scoping filter (enabled users) and what is never
// synchronized (external users of the source).
func Enabled(u graphsim.User) bool {
	return u.AccountEnabled && u.DeletedDateTime == nil && !strings.EqualFold(u.UserType, "Guest") &&
		!strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#")
}

// SupportedGroup: security and Microsoft 365 groups are synchronized;
// mail-enabled security and distribution groups are not.
func SupportedGroup(g graphsim.Group) bool {
	unified := slices.ContainsFunc(g.GroupTypes, func(s string) bool { return strings.EqualFold(s, "Unified") })
	return g.DeletedDateTime == nil && (unified || !g.MailEnabled)
}

// InScope returns the scope predicates for the source as it is now.
func (sc Scope) InScope(source *graphsim.Tenant) (users func(graphsim.User) bool, groups func(graphsim.Group) bool) {
	entitled := map[string]bool{}
	for _, id := range sc.AssignedUsers {
		entitled[id] = true
	}
	assigned := map[string]bool{}
	for _, gid := range sc.AssignedGroups {
		g, ok := source.Group(gid)
		if !ok || g.DeletedDateTime != nil {
			continue
		}
		assigned[gid] = true
		for _, m := range g.Members {
			entitled[m] = true
		}
	}
	users = func(u graphsim.User) bool { return Enabled(u) && (sc.AllUsers || entitled[u.ID]) }
	groups = func(g graphsim.Group) bool { return assigned[g.ID] && SupportedGroup(g) }
	return users, groups
}

// Invited is the address the writer invites a source user with (the
// default mappings): mail, else the user principal name.
func Invited(u graphsim.User) string {
	if u.Mail != "" {
		return strings.ToLower(u.Mail)
	}
	return strings.ToLower(u.UserPrincipalName)
}

func IsB2B(u graphsim.User) bool {
	return u.DeletedDateTime == nil && strings.Contains(u.UserPrincipalName, "#EXT#")
}

// Diff lists every way the target differs from the mirror of the source:
// missing, duplicated, stale or out-of-date users and groups, wrong group
// members. Empty means mirrored. matched are preexisting target users that
// must have been matched (not duplicated) to the source user with the
// same mail.
func (m *Mirror) Diff(source, target *graphsim.Tenant) []string {
	userIn, groupIn := m.Scope.InScope(source)
	var problems []string
	byMail := map[string][]graphsim.User{}
	for _, id := range target.UserIDs() {
		u, ok := target.User(id)
		if ok && IsB2B(u) {
			k := strings.ToLower(u.Mail)
			byMail[k] = append(byMail[k], u)
		}
	}
	// Source users that must have a B2B user, by source id -> target id.
	tgtOf := map[string]string{}
	accounted := map[string]bool{}
	for _, id := range source.UserIDs() {
		src, ok := source.User(id)
		if !ok || src.DeletedDateTime != nil {
			continue
		}
		key := Invited(src)
		got := byMail[key]
		if !userIn(src) {
			for _, u := range got {
				accounted[u.ID] = true
				if !m.pre[u.ID] {
					problems = append(problems, fmt.Sprintf("user %s is out of scope but %s is a live B2B user", src.UserPrincipalName, u.ID))
				}
			}
			continue
		}
		switch len(got) {
		case 0:
			problems = append(problems, fmt.Sprintf("user %s has no B2B user", src.UserPrincipalName))
			continue
		case 1:
		default:
			problems = append(problems, fmt.Sprintf("user %s has %d B2B users (duplicated)", src.UserPrincipalName, len(got)))
		}
		tgt := got[0]
		accounted[tgt.ID] = true
		tgtOf[src.ID] = tgt.ID
		for _, f := range []struct{ name, want, got string }{
			{"displayName", src.DisplayName, tgt.DisplayName},
			{"givenName", src.GivenName, tgt.GivenName},
			{"surname", src.Surname, tgt.Surname},
			{"department", src.Department, tgt.Department},
			{"jobTitle", src.JobTitle, tgt.JobTitle},
		} {
			if f.want != f.got {
				problems = append(problems, fmt.Sprintf("user %s: %s is %q, want %q", src.UserPrincipalName, f.name, f.got, f.want))
			}
		}
		if !tgt.AccountEnabled {
			problems = append(problems, fmt.Sprintf("user %s: target account disabled", src.UserPrincipalName))
		}
	}
	for _, us := range byMail {
		for _, u := range us {
			if !accounted[u.ID] && !m.pre[u.ID] {
				problems = append(problems, fmt.Sprintf("target B2B user %s (%s) matches no in-scope source user (stale)", u.ID, u.Mail))
			}
		}
	}

	// Groups: by display name, with members.
	want := map[string][]graphsim.Group{}
	for _, id := range source.GroupIDs() {
		if g, ok := source.Group(id); ok && groupIn(g) {
			want[g.DisplayName] = append(want[g.DisplayName], g)
		}
	}
	have := map[string][]graphsim.Group{}
	for _, id := range target.GroupIDs() {
		if g, ok := target.Group(id); ok && g.DeletedDateTime == nil {
			have[g.DisplayName] = append(have[g.DisplayName], g)
		}
	}
	for name, gs := range want {
		hs := have[name]
		if len(hs) != len(gs) {
			problems = append(problems, fmt.Sprintf("group %q: %d in the target, want %d", name, len(hs), len(gs)))
			continue
		}
		if len(gs) != 1 {
			continue // ambiguous name: counted only
		}
		var wantMembers []string
		for _, mid := range gs[0].Members {
			if t, ok := tgtOf[mid]; ok {
				wantMembers = append(wantMembers, t)
			}
		}
		haveMembers := hs[0].Members
		if missing, extra := notIn(wantMembers, haveMembers), notIn(haveMembers, wantMembers); len(missing)+len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("group %q: %d members, want %d: %d missing (%s), %d extra (%s)",
				name, len(haveMembers), len(wantMembers), len(missing), FirstN(missing, 3), len(extra), FirstN(describe(target, extra), 3)))
		}
		if !hs[0].SecurityEnabled || hs[0].MailEnabled {
			problems = append(problems, fmt.Sprintf("group %q is not a static security group in the target", name))
		}
	}
	for name, hs := range have {
		if _, ok := want[name]; !ok {
			problems = append(problems, fmt.Sprintf("target group %q (%d) matches no in-scope source group (stale)", name, len(hs)))
		}
	}
	sort.Strings(problems)
	return problems
}

// FirstN shortens a problem list for a failure message.
func FirstN(p []string, n int) string {
	if len(p) <= n {
		return strings.Join(p, "\n")
	}
	return strings.Join(p[:n], "\n") + fmt.Sprintf("\n... and %d more", len(p)-n)
}

// notIn lists the elements of a that are not in b.
func notIn(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// describe names target objects for failure messages.
func describe(target *graphsim.Tenant, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if u, ok := target.User(id); ok {
			out[i] = fmt.Sprintf("%s (user %s, mail %s, deleted %v)", id, u.UserPrincipalName, u.Mail, u.DeletedDateTime != nil)
		} else if g, ok := target.Group(id); ok {
			out[i] = fmt.Sprintf("%s (group %q)", id, g.DisplayName)
		}
	}
	return out
}

// Rules renders the scope as configuration rules: the scoping filter keeps
// enabled users; groups are synchronized when some are assigned.
func (sc Scope) Rules() *structpb.Struct {
	enabled := []any{map[string]any{"title": "enabled users",
		"clauses": []any{map[string]any{"attribute": "accountEnabled", "operator": "IS TRUE"}}}}
	r := map[string]any{
		"users": map[string]any{"scopingFilters": enabled},
		"accidentalDeletion": map[string]any{
			"enabled": sc.Threshold > 0, "threshold": float64(max(sc.Threshold, 1)),
		},
	}
	if sc.AllUsers {
		r["scope"] = "AllUsers"
	} else {
		r["scope"] = "AssignedOnly"
		r["assignments"] = map[string]any{"users": strs(sc.AssignedUsers), "groups": strs(sc.AssignedGroups)}
		r["groups"] = map[string]any{"enabled": len(sc.AssignedGroups) > 0}
	}
	s, err := structpb.NewStruct(r)
	if err != nil {
		panic(err) // only strings, bools, numbers, lists and maps above
	}
	return s
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Counts returns the objects in scope: users and groups.
func (sc Scope) Counts(source *graphsim.Tenant) (users, groups int) {
	userIn, groupIn := sc.InScope(source)
	for _, id := range source.UserIDs() {
		if u, ok := source.User(id); ok && u.DeletedDateTime == nil && userIn(u) {
			users++
		}
	}
	for _, id := range source.GroupIDs() {
		if g, ok := source.Group(id); ok && groupIn(g) {
			groups++
		}
	}
	return users, groups
}

// Managers lists every in-scope source user whose B2B user's manager is
// not the B2B user of its source manager (or is set when the source has
// none). A source manager out of scope cannot be resolved and is not
// checked. Separate from Diff: a manager provisioned after its report is
// set a cycle later, so only the tests about managers ask for it.
func (m *Mirror) Managers(source, target *graphsim.Tenant) []string {
	userIn, _ := m.Scope.InScope(source)
	byMail := map[string]string{}
	for _, id := range target.UserIDs() {
		if u, ok := target.User(id); ok && IsB2B(u) {
			byMail[strings.ToLower(u.Mail)] = u.ID
		}
	}
	tgtOf := map[string]string{}
	var srcs []graphsim.User
	for _, id := range source.UserIDs() {
		if u, ok := source.User(id); ok && userIn(u) {
			if t, ok := byMail[Invited(u)]; ok {
				tgtOf[u.ID] = t
				srcs = append(srcs, u)
			}
		}
	}
	var problems []string
	for _, src := range srcs {
		want, ok := tgtOf[src.ManagerID]
		if src.ManagerID != "" && !ok {
			continue // manager out of scope: never resolvable
		}
		tgt, _ := target.User(tgtOf[src.ID])
		if tgt.ManagerID != want {
			problems = append(problems, fmt.Sprintf("user %s: target manager is %q, want %q (source manager %q)",
				src.UserPrincipalName, tgt.ManagerID, want, src.ManagerID))
		}
	}
	sort.Strings(problems)
	return problems
}
