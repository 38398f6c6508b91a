package graphsim

import (
	"strings"
	"time"
)

// objKind tells users from groups in the change log and deleted items.
type objKind uint8

const (
	kindUser objKind = iota + 1
	kindGroup
)

// retention is how long deleted items stay restorable.
const retention = 30 * 24 * time.Hour

// change is one entry of a tenant's append-only change log; delta tokens
// are positions (seq) in it.
type change struct {
	seq  uint64
	id   string
	kind objKind
}

// memberEvent is one membership change of a group, for members@delta.
type memberEvent struct {
	seq     uint64
	member  string
	kind    objKind
	removed bool
}

// managerChange is the latest manager change of a user, for manager@delta.
type managerChange struct {
	seq    uint64
	former string // the manager before that change ("" for none)
}

// store is a tenant's directory. Every method expects the tenant's mu held
// (read lock for queries, write lock for mutations).
type store struct {
	users     map[string]*User // live users by id
	byUPN     map[string]*User // live users by lower-cased UPN
	byMail    map[string]*User // live users by lower-cased mail
	eq        *eqIndex         // live users by indexed property value (filters)
	userList  olist[User]
	groups    map[string]*Group
	groupList olist[Group]
	nextOrd   uint64

	deletedUsers  map[string]*User
	deletedGroups map[string]*Group
	formerGroups  map[string][]string // soft-deleted user id -> groups it left

	log          []change
	lastSeq      map[string]uint64 // object id -> seq of its latest change
	memberEvents map[string][]memberEvent
	managers     map[string]managerChange // user id -> latest manager change
	purged       map[string]objKind

	policy *policyStore
}

func newStore() *store {
	return &store{
		users:         map[string]*User{},
		byUPN:         map[string]*User{},
		byMail:        map[string]*User{},
		eq:            &eqIndex{},
		userList:      olist[User]{ordOf: func(u *User) uint64 { return u.ord }},
		groups:        map[string]*Group{},
		groupList:     olist[Group]{ordOf: func(g *Group) uint64 { return g.ord }},
		deletedUsers:  map[string]*User{},
		deletedGroups: map[string]*Group{},
		formerGroups:  map[string][]string{},
		lastSeq:       map[string]uint64{},
		memberEvents:  map[string][]memberEvent{},
		managers:      map[string]managerChange{},
		purged:        map[string]objKind{},
		policy:        newPolicyStore(),
	}
}

// castKind parses an OData type-cast segment as msgraph-sdk-go ("graph.user")
// and Graph's docs ("microsoft.graph.user") write it.
func castKind(seg string) (objKind, bool) {
	switch strings.TrimPrefix(strings.TrimPrefix(seg, "microsoft."), "graph.") {
	case "user":
		return kindUser, strings.Contains(seg, "graph.")
	case "group":
		return kindGroup, strings.Contains(seg, "graph.")
	}
	return 0, false
}

// filterKind keeps the ids of live objects of kind k.
func (st *store) filterKind(ids []string, k objKind) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if st.kindOf(id) == k {
			out = append(out, id)
		}
	}
	return out
}

// head is the seq of the latest change (0 before any).
func (st *store) head() uint64 { return uint64(len(st.log)) }

// record appends a change for id to the log.
func (st *store) record(kind objKind, id string) {
	seq := st.head() + 1
	st.log = append(st.log, change{seq: seq, id: id, kind: kind})
	st.lastSeq[id] = seq
}

// recordMember logs a membership change of group gid.
func (st *store) recordMember(gid, member string, kind objKind, removed bool) {
	st.record(kindGroup, gid)
	st.memberEvents[gid] = append(st.memberEvents[gid], memberEvent{seq: st.head(), member: member, kind: kind, removed: removed})
}

// noteManager remembers that u's manager changed from former at the
// latest log entry (record first), so manager@delta reports it.
func (st *store) noteManager(u *User, former string) {
	if u.ManagerID != former {
		st.managers[u.ID] = managerChange{seq: st.head(), former: former}
	}
}

func lower(s string) string { return strings.ToLower(s) }

// listUser inserts u into the listing order and indexes.
func (st *store) listUser(u *User) {
	st.nextOrd++
	u.ord = st.nextOrd
	st.userList.push(u, u.ord)
	st.users[u.ID] = u
	st.indexUser(u)
}

func (st *store) indexUser(u *User) {
	st.eq.add(u)
	if u.UserPrincipalName != "" {
		st.byUPN[lower(u.UserPrincipalName)] = u
	}
	if u.Mail != "" {
		st.byMail[lower(u.Mail)] = u
	}
}

func (st *store) unindexUser(u *User) {
	st.eq.remove(u)
	if st.byUPN[lower(u.UserPrincipalName)] == u {
		delete(st.byUPN, lower(u.UserPrincipalName))
	}
	if st.byMail[lower(u.Mail)] == u {
		delete(st.byMail, lower(u.Mail))
	}
}

// unlistUser removes u from the live set (for delete).
func (st *store) unlistUser(u *User) {
	st.unindexUser(u)
	delete(st.users, u.ID)
	u.ord = 0
	st.userList.removed()
}

func (st *store) listGroup(g *Group) {
	st.nextOrd++
	g.ord = st.nextOrd
	st.groupList.push(g, g.ord)
	st.groups[g.ID] = g
}

// set returns g's member set, built on first use: seeding 5,000 groups
// with over a million memberships stays cheap until something asks.
func (g *Group) set() map[string]struct{} {
	if g.memberSet == nil {
		g.memberSet = make(map[string]struct{}, len(g.Members))
		for _, m := range g.Members {
			g.memberSet[m] = struct{}{}
		}
	}
	return g.memberSet
}

// hasMember reports whether id is a direct member of g.
func (g *Group) hasMember(id string) bool {
	_, ok := g.set()[id]
	return ok
}

// reserve pre-sizes the indexes for a bulk load.
func (st *store) reserve(users, groups int) {
	grow := func(m map[string]*User) map[string]*User {
		n := make(map[string]*User, len(m)+users)
		for k, v := range m {
			n[k] = v
		}
		return n
	}
	st.users, st.byUPN, st.byMail = grow(st.users), grow(st.byUPN), grow(st.byMail)
	st.userList.entries = append(make([]olEntry[User], 0, len(st.userList.entries)+users), st.userList.entries...)
	st.groupList.entries = append(make([]olEntry[Group], 0, len(st.groupList.entries)+groups), st.groupList.entries...)
}

func (st *store) unlistGroup(g *Group) {
	delete(st.groups, g.ID)
	g.ord = 0
	st.groupList.removed()
}

// userByKey finds a live user by id or UPN, as /users/{id | userPrincipalName}.
func (st *store) userByKey(key string) *User {
	if u := st.users[key]; u != nil {
		return u
	}
	if strings.Contains(key, "@") {
		return st.byUPN[lower(key)]
	}
	return nil
}

// kindOf reports whether id is a live user or group.
func (st *store) kindOf(id string) objKind {
	if _, ok := st.users[id]; ok {
		return kindUser
	}
	if _, ok := st.groups[id]; ok {
		return kindGroup
	}
	return 0
}

// addMember adds member to g; false if already present.
func (st *store) addMember(g *Group, member string, kind objKind) bool {
	if g.hasMember(member) {
		return false
	}
	g.memberSet[member] = struct{}{}
	g.Members = append(g.Members, member)
	st.recordMember(g.ID, member, kind, false)
	return true
}

// removeMember removes member from g; false if it was not a member.
func (st *store) removeMember(g *Group, member string, kind objKind) bool {
	if !g.hasMember(member) {
		return false
	}
	delete(g.memberSet, member)
	for i, m := range g.Members {
		if m == member {
			g.Members = append(g.Members[:i], g.Members[i+1:]...)
			break
		}
	}
	st.recordMember(g.ID, member, kind, true)
	return true
}

// groupsOf lists the live groups that have id as a direct member.
func (st *store) groupsOf(id string) []*Group {
	var out []*Group
	st.groupList.scan(0, func(_ uint64, g *Group) bool {
		if g.hasMember(id) {
			out = append(out, g)
		}
		return true
	})
	return out
}
