package graphsim

import (
	"net/http"
	"sort"
	"time"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// softDeleteUser moves u to deleted items. Like Entra, a deleted user
// leaves its groups; restore puts it back into the ones still alive.
func (t *Tenant) softDeleteUser(u *User, now time.Time) {
	st := t.st
	var former []string
	for _, g := range st.groupsOf(u.ID) {
		st.removeMember(g, u.ID, kindUser)
		former = append(former, g.ID)
	}
	st.formerGroups[u.ID] = former
	st.unlistUser(u)
	at := now.UTC().Truncate(time.Second)
	u.DeletedDateTime = &at
	st.deletedUsers[u.ID] = u
	st.record(kindUser, u.ID)
	t.noteDeletion(at)
}

// softDeleteGroup moves g to deleted items (distribution groups are purged
// at once, as Graph does).
func (t *Tenant) softDeleteGroup(g *Group, now time.Time) {
	st := t.st
	for _, parent := range st.groupsOf(g.ID) {
		st.removeMember(parent, g.ID, kindGroup)
	}
	st.unlistGroup(g)
	if isDistribution(g) {
		st.purged[g.ID] = kindGroup
		st.record(kindGroup, g.ID)
		return
	}
	at := now.UTC().Truncate(time.Second)
	g.DeletedDateTime = &at
	st.deletedGroups[g.ID] = g
	st.record(kindGroup, g.ID)
	t.noteDeletion(at)
}

func (t *Tenant) noteDeletion(at time.Time) {
	if exp := at.Add(retention); t.nextExpiry.IsZero() || exp.Before(t.nextExpiry) {
		t.nextExpiry = exp
	}
}

// purge deletes a soft-deleted object permanently.
func (t *Tenant) purge(id string) bool {
	st := t.st
	if _, ok := st.deletedUsers[id]; ok {
		delete(st.deletedUsers, id)
		delete(st.formerGroups, id)
		st.purged[id] = kindUser
		st.record(kindUser, id)
		return true
	}
	if _, ok := st.deletedGroups[id]; ok {
		delete(st.deletedGroups, id)
		st.purged[id] = kindGroup
		st.record(kindGroup, id)
		return true
	}
	return false
}

// purgeExpired drops deleted items older than the retention period by the
// injectable clock. It is cheap when nothing is due.
func (t *Tenant) purgeExpired(now time.Time) {
	t.mu.RLock()
	due := !t.nextExpiry.IsZero() && !now.Before(t.nextExpiry)
	t.mu.RUnlock()
	if !due {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextExpiry = time.Time{}
	var ids []string
	for id, u := range t.st.deletedUsers {
		if !now.Before(u.DeletedDateTime.Add(retention)) {
			ids = append(ids, id)
		} else {
			t.noteDeletion(*u.DeletedDateTime)
		}
	}
	for id, g := range t.st.deletedGroups {
		if !now.Before(g.DeletedDateTime.Add(retention)) {
			ids = append(ids, id)
		} else {
			t.noteDeletion(*g.DeletedDateTime)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.purge(id)
	}
}

// restore brings a deleted object back.
func (t *Tenant) restore(id string) (objKind, *gerror) {
	st := t.st
	if u, ok := st.deletedUsers[id]; ok {
		if other := st.byUPN[lower(u.UserPrincipalName)]; other != nil {
			return 0, errBadRequest("Another object with the same value for property userPrincipalName already exists.")
		}
		delete(st.deletedUsers, id)
		u.DeletedDateTime = nil
		st.listUser(u)
		st.record(kindUser, id)
		for _, gid := range st.formerGroups[id] {
			if g := st.groups[gid]; g != nil {
				st.addMember(g, id, kindUser)
			}
		}
		delete(st.formerGroups, id)
		return kindUser, nil
	}
	if g, ok := st.deletedGroups[id]; ok {
		delete(st.deletedGroups, id)
		g.DeletedDateTime = nil
		// Members deleted meanwhile are dropped.
		kept := g.Members[:0]
		for _, m := range g.Members {
			if st.kindOf(m) != 0 {
				kept = append(kept, m)
			} else {
				delete(g.set(), m)
			}
		}
		g.Members = kept
		st.listGroup(g)
		st.record(kindGroup, id)
		return kindGroup, nil
	}
	return 0, errNotFound(id)
}

// routeDirectory serves /directory/deletedItems.
func (t *Tenant) routeDirectory(rc *reqCtx) *response {
	s := rc.segs
	if len(s) < 2 || s[1] != "deletedItems" {
		return errResponse(errNoRoute(rc.method, s[len(s)-1]))
	}
	switch {
	case len(s) == 2 && rc.method == http.MethodGet:
		return errResponse(errBadRequest("Type cast is required for this request: use /directory/deletedItems/microsoft.graph.user or microsoft.graph.group."))
	case len(s) == 3 && rc.method == http.MethodGet && isCast(s[2]):
		k, _ := castKind(s[2])
		return t.listDeleted(rc, k == kindGroup)
	case len(s) == 3 && rc.method == http.MethodGet:
		return t.getDeleted(rc, s[2], 0)
	case len(s) == 4 && rc.method == http.MethodGet && isCast(s[3]):
		k, _ := castKind(s[3])
		return t.getDeleted(rc, s[2], k)
	case len(s) == 3 && rc.method == http.MethodDelete:
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.purge(s[2]) {
			return errResponse(errNotFound(s[2]))
		}
		return noContent()
	case len(s) == 4 && rc.method == http.MethodPost && (s[3] == "restore" || s[3] == "microsoft.graph.restore"):
		t.mu.Lock()
		defer t.mu.Unlock()
		if _, e := t.restore(s[2]); e != nil {
			return errResponse(e)
		}
		return t.renderDirEntity(rc, s[2])
	}
	return errResponse(errMethod(rc.method))
}

// isCast reports a user or group type-cast segment.
func isCast(seg string) bool {
	_, ok := castKind(seg)
	return ok
}

// renderDirEntity renders a live or deleted object as a directoryObject.
func (t *Tenant) renderDirEntity(rc *reqCtx, id string) *response {
	if u := t.st.users[id]; u != nil {
		return renderEntity(rc, userSchema, u, "directoryObjects", typeUser)
	}
	if u := t.st.deletedUsers[id]; u != nil {
		return renderEntity(rc, userSchema, u, "directoryObjects", typeUser)
	}
	if g := t.st.groups[id]; g != nil {
		return renderEntity(rc, groupSchema, g, "directoryObjects", typeGroup)
	}
	if g := t.st.deletedGroups[id]; g != nil {
		return renderEntity(rc, groupSchema, g, "directoryObjects", typeGroup)
	}
	return errResponse(errNotFound(id))
}

func (t *Tenant) getDeleted(rc *reqCtx, id string, cast objKind) *response {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, isUser := t.st.deletedUsers[id]
	_, isGroup := t.st.deletedGroups[id]
	if (!isUser && !isGroup) || (cast == kindUser && !isUser) || (cast == kindGroup && !isGroup) {
		return errResponse(errNotFound(id))
	}
	return t.renderDirEntity(rc, id)
}

// listDeleted lists deleted users or groups (oldest deletion first unless
// $orderby says otherwise) from a snapshot paged by offset. Like Graph, the
// default property set omits deletedDateTime: ask with $select.
func (t *Tenant) listDeleted(rc *reqCtx, groups bool) *response {
	byDeletion := &odata.OrderBy{Property: "deletedDateTime"}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if groups {
		o, e := parseListOpts(rc, groupSchema, "displayName")
		if e != nil {
			return errResponse(e)
		}
		var list olist[Group]
		for _, g := range t.st.deletedGroups {
			list.push(g, uint64(len(list.entries)+1))
		}
		if o.orderBy == nil {
			o.orderBy = byDeletion
		}
		return listPage(rc, pageSpec[Group]{kind: "deletedGroups", context: "groups",
			sch: groupSchema, list: &list, id: func(g *Group) string { return g.ID }}, o)
	}
	o, e := parseListOpts(rc, userSchema, "displayName", "userPrincipalName")
	if e != nil {
		return errResponse(e)
	}
	var list olist[User]
	for _, u := range t.st.deletedUsers {
		list.push(u, uint64(len(list.entries)+1))
	}
	if o.orderBy == nil {
		o.orderBy = byDeletion
	}
	return listPage(rc, pageSpec[User]{kind: "deletedUsers", context: "users",
		sch: userSchema, list: &list, id: func(u *User) string { return u.ID }}, o)
}
