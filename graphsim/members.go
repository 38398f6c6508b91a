package graphsim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// dirSelect is a $select over directoryObjects of mixed types.
type dirSelect struct {
	user, group []int
	names       []string
}

func parseDirSelect(raw string) (dirSelect, *gerror) {
	if strings.TrimSpace(raw) == "" {
		return dirSelect{user: userSchema.defaults, group: groupSchema.defaults}, nil
	}
	names, err := odata.ParseSelect(raw)
	if err != nil {
		return dirSelect{}, fromOData(err)
	}
	ds := dirSelect{names: names}
	for _, n := range names {
		ui, uok := userSchema.lookup(n)
		gi, gok := groupSchema.lookup(n)
		if !uok && !gok {
			return dirSelect{}, errBadRequestPlain("Could not find a property named '" + n + "' on type 'microsoft.graph.directoryObject'.")
		}
		if uok {
			ds.user = append(ds.user, ui)
		}
		if gok {
			ds.group = append(ds.group, gi)
		}
	}
	if i, _ := userSchema.lookup("id"); !containsInt(ds.user, i) {
		ds.user = append(ds.user, i)
	}
	if i, _ := groupSchema.lookup("id"); !containsInt(ds.group, i) {
		ds.group = append(ds.group, i)
	}
	return ds, nil
}

// appendDirObject renders a live user or group as a directoryObject.
func (st *store) appendDirObject(b []byte, id string, ds dirSelect) []byte {
	if u := st.users[id]; u != nil {
		return userSchema.appendObject(b, u, ds.user, typeAnnotation(typeUser))
	}
	if g := st.groups[id]; g != nil {
		return groupSchema.appendObject(b, g, ds.group, typeAnnotation(typeGroup))
	}
	return b
}

// dirObjectPage renders ids as a paged directoryObject collection; the
// token is an offset bound to kind (which names the parent object).
func (t *Tenant) dirObjectPage(rc *reqCtx, kind string, ids []string) *response {
	top, count := defaultPageSize, false
	if v := rc.query.Get("$top"); v != "" {
		n, err := odata.ParseTop(v)
		if err != nil {
			return errResponse(fromOData(err))
		}
		top = n
	}
	if v := rc.query.Get("$count"); v != "" {
		c, err := odata.ParseCount(v)
		if err != nil {
			return errResponse(fromOData(err))
		}
		if c && !strings.EqualFold(rc.header.Get("ConsistencyLevel"), "eventual") {
			return errResponse(errBadRequest("$count is not currently supported."))
		}
		count = c
	}
	ds, e := parseDirSelect(rc.query.Get("$select"))
	if e != nil {
		return errResponse(e)
	}
	start := 0
	if raw := rc.query.Get("$skiptoken"); raw != "" {
		tok, ok := rc.s.tokens.decode(raw, kind, rc.t.info.ID)
		if !ok {
			return errResponse(errBadPageToken())
		}
		start = min(tok.Offset, len(ids))
	}
	end := min(start+top, len(ids))
	b := append([]byte(`{"@odata.context":`), appendString(nil, rc.context("directoryObjects"+selectSuffix(ds.names)))...)
	if count {
		b = append(b, `,"@odata.count":`...)
		b = strconv.AppendInt(b, int64(len(ids)), 10)
	}
	if end < len(ids) {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, rc.nextLink("$skiptoken", rc.s.tokens.encode(pageToken{Kind: kind, Tenant: rc.t.info.ID, Offset: end})))
	}
	b = append(b, `,"value":[`...)
	for i, id := range ids[start:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = t.st.appendDirObject(b, id, ds)
	}
	return jsonResponse(200, append(b, "]}"...))
}

// routeMembers serves /groups/{id}/members[...].
func (t *Tenant) routeMembers(rc *reqCtx, gid string, rest []string) *response {
	switch {
	case len(rest) == 0 && rc.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		g := t.st.groups[gid]
		if g == nil {
			return errResponse(errNotFound(gid))
		}
		return t.dirObjectPage(rc, "members:"+gid, g.Members)
	case len(rest) == 1 && isCast(rest[0]) && rc.method == http.MethodGet:
		k, _ := castKind(rest[0])
		t.mu.RLock()
		defer t.mu.RUnlock()
		g := t.st.groups[gid]
		if g == nil {
			return errResponse(errNotFound(gid))
		}
		return t.dirObjectPage(rc, "members:"+rest[0]+":"+gid, t.st.filterKind(g.Members, k))
	case (len(rest) == 1 && rest[0] == "$count" || len(rest) == 2 && isCast(rest[0]) && rest[1] == "$count") && rc.method == http.MethodGet:
		if !strings.EqualFold(rc.header.Get("ConsistencyLevel"), "eventual") {
			return errResponse(errNeedsAdvanced("Raw count (/$count)"))
		}
		t.mu.RLock()
		defer t.mu.RUnlock()
		g := t.st.groups[gid]
		if g == nil {
			return errResponse(errNotFound(gid))
		}
		ids := g.Members
		if k, ok := castKind(rest[0]); ok {
			ids = t.st.filterKind(ids, k)
		}
		return &response{status: 200, body: strconv.AppendInt(nil, int64(len(ids)), 10), text: true}
	case len(rest) == 1 && rest[0] == "$ref" && rc.method == http.MethodDelete:
		// msgraph-sdk-go removes members as DELETE members/$ref?@id={url}.
		id, ok := refID(rc.query.Get("@id"))
		if !ok {
			return errResponse(errBadRequest("Invalid object identifier '" + rc.query.Get("@id") + "'."))
		}
		return t.removeMemberRef(rc, gid, id)
	case len(rest) == 1 && rest[0] == "$ref" && rc.method == http.MethodPost:
		return t.addMemberRef(rc, gid)
	case len(rest) == 2 && rest[1] == "$ref" && rc.method == http.MethodDelete:
		return t.removeMemberRef(rc, gid, rest[0])
	case len(rest) == 0 || (len(rest) == 1 && rest[0] == "$ref") || (len(rest) == 2 && rest[1] == "$ref"):
		return errResponse(errMethod(rc.method))
	}
	return errResponse(errNoRoute(rc.method, rest[len(rest)-1]))
}

func (t *Tenant) addMemberRef(rc *reqCtx, gid string) *response {
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	ref, ok := o.str("@odata.id")
	if !ok {
		return errResponse(errBadRequest("Invalid value specified for property '@odata.id' of resource 'Group'."))
	}
	id, ok := refID(ref)
	if !ok {
		return errResponse(errBadRequest("Invalid object identifier '" + ref + "'."))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[gid]
	if g == nil {
		return errResponse(errNotFound(gid))
	}
	kind := t.st.kindOf(id)
	if kind == 0 {
		return errResponse(errNotFound(id))
	}
	if id == gid {
		return errResponse(errBadRequest("A group cannot be a member of itself."))
	}
	if !t.st.addMember(g, id, kind) {
		return errResponse(errBadRequest("One or more added object references already exist for the following modified properties: 'members'."))
	}
	return noContent()
}

func (t *Tenant) removeMemberRef(rc *reqCtx, gid, mid string) *response {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[gid]
	if g == nil {
		return errResponse(errNotFound(gid))
	}
	kind := t.st.kindOf(mid)
	if kind == 0 {
		kind = kindUser
	}
	if !t.st.removeMember(g, mid, kind) {
		return errResponse(errNotFound(mid))
	}
	return noContent()
}

// userMemberOf serves /users/{id}/memberOf[/graph.group][/$count]
// (direct groups).
func (t *Tenant) userMemberOf(rc *reqCtx, key string, rest []string) *response {
	if rc.method != http.MethodGet {
		return errResponse(errMethod(rc.method))
	}
	if len(rest) > 0 && rest[0] != "$count" && !isCast(rest[0]) || len(rest) == 2 && rest[1] != "$count" || len(rest) > 2 {
		return errResponse(errNoRoute(rc.method, rest[len(rest)-1]))
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.userByKey(key)
	if u == nil {
		return errResponse(errNotFound(key))
	}
	ids := groupIDs(t.st.groupsOf(u.ID))
	if len(rest) > 0 && isCast(rest[0]) {
		if k, _ := castKind(rest[0]); k != kindGroup {
			ids = nil
		}
	}
	if len(rest) > 0 && rest[len(rest)-1] == "$count" {
		if !strings.EqualFold(rc.header.Get("ConsistencyLevel"), "eventual") {
			return errResponse(errNeedsAdvanced("Raw count (/$count)"))
		}
		return &response{status: 200, body: strconv.AppendInt(nil, int64(len(ids)), 10), text: true}
	}
	return t.dirObjectPage(rc, "memberOf:"+u.ID, ids)
}

func (t *Tenant) groupMemberOf(rc *reqCtx, gid string) *response {
	if rc.method != http.MethodGet {
		return errResponse(errMethod(rc.method))
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.st.groups[gid] == nil {
		return errResponse(errNotFound(gid))
	}
	return t.dirObjectPage(rc, "memberOf:"+gid, groupIDs(t.st.groupsOf(gid)))
}

func groupIDs(gs []*Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}
