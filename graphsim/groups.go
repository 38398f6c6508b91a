package graphsim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// maxBindsPerRequest is Graph's cap on members@odata.bind per request.
const maxBindsPerRequest = 20

// routeGroups serves /groups and everything below it.
func (t *Tenant) routeGroups(rc *reqCtx) *response {
	s := rc.segs
	switch {
	case len(s) == 1:
		switch rc.method {
		case http.MethodGet:
			return t.listGroups(rc)
		case http.MethodPost:
			return t.createGroup(rc)
		}
		return errResponse(errMethod(rc.method))
	case len(s) == 2 && s[1] == "$count":
		return t.countObjects(rc, kindGroup)
	case len(s) == 2 && isDelta(s[1]):
		if rc.method != http.MethodGet {
			return errResponse(errMethod(rc.method))
		}
		return t.groupDelta(rc)
	case len(s) == 2:
		switch rc.method {
		case http.MethodGet:
			return t.getGroup(rc, s[1])
		case http.MethodPatch:
			return t.patchGroup(rc, s[1])
		case http.MethodDelete:
			return t.deleteGroup(rc, s[1])
		}
		return errResponse(errMethod(rc.method))
	case len(s) >= 3 && s[2] == "members":
		return t.routeMembers(rc, s[1], s[3:])
	case len(s) == 3 && s[2] == "memberOf":
		return t.groupMemberOf(rc, s[1])
	}
	return errResponse(errNoRoute(rc.method, s[len(s)-1]))
}

func (t *Tenant) listGroups(rc *reqCtx) *response {
	o, e := parseListOpts(rc, groupSchema, "displayName")
	if e != nil {
		return errResponse(e)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return listPage(rc, pageSpec[Group]{kind: "groups", context: "groups", sch: groupSchema, list: &t.st.groupList,
		id: func(g *Group) string { return g.ID }}, o)
}

func (t *Tenant) getGroup(rc *reqCtx, id string) *response {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g := t.st.groups[id]
	if g == nil {
		return errResponse(errNotFound(id))
	}
	return renderEntity(rc, groupSchema, g, "groups", "")
}

// memberBinds resolves "members@odata.bind" to live object ids.
func (t *Tenant) memberBinds(o object) ([]string, *gerror) {
	raw, ok := o.fields["members@odata.bind"]
	if !ok {
		return nil, nil
	}
	var refs []string
	if json.Unmarshal(raw, &refs) != nil {
		return nil, errBadRequest("Invalid value specified for property 'members@odata.bind' of resource 'Group'.")
	}
	if len(refs) > maxBindsPerRequest {
		return nil, errBadRequest("The request exceeds the limit of 20 references for members@odata.bind.")
	}
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		id, ok := refID(r)
		if !ok {
			return nil, errBadRequest("Invalid object identifier '" + r + "'.")
		}
		if t.st.kindOf(id) == 0 {
			return nil, errNotFound(id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (t *Tenant) createGroup(rc *reqCtx) *response {
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	g := &Group{}
	if e := applyProps(g, groupSchema, o, "Group"); e != nil {
		return errResponse(e)
	}
	if e := requireProps(o, "displayName", "mailEnabled", "mailNickname", "securityEnabled"); e != nil {
		return errResponse(e)
	}
	if e := checkRoleAssignable(g); e != nil {
		return errResponse(e)
	}
	g.ID = newRequestID()
	g.CreatedDateTime = rc.now.UTC().Truncate(1e9)
	if g.GroupTypes == nil {
		g.GroupTypes = []string{}
	}
	if g.MailEnabled {
		g.Mail = g.MailNickname + "@" + t.info.Domain
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ids, e := t.memberBinds(o)
	if e != nil {
		return errResponse(e)
	}
	t.st.listGroup(g)
	t.st.record(kindGroup, g.ID)
	for _, id := range ids {
		t.st.addMember(g, id, t.st.kindOf(id))
	}
	resp := renderEntity(rc, groupSchema, g, "groups", "")
	resp.status = http.StatusCreated
	return resp
}

func (t *Tenant) patchGroup(rc *reqCtx, id string) *response {
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[id]
	if g == nil {
		return errResponse(errNotFound(id))
	}
	if e := rejectCreateOnly(groupSchema, o); e != nil {
		return errResponse(e)
	}
	c := *g
	if e := applyProps(&c, groupSchema, o, "Group"); e != nil {
		return errResponse(e)
	}
	ids, e := t.memberBinds(o)
	if e != nil {
		return errResponse(e)
	}
	for _, m := range ids {
		if g.hasMember(m) {
			return errResponse(errBadRequest("One or more added object references already exist for the following modified properties: 'members'."))
		}
	}
	*g = c
	t.st.record(kindGroup, g.ID)
	for _, m := range ids {
		t.st.addMember(g, m, t.st.kindOf(m))
	}
	return noContent()
}

func (t *Tenant) deleteGroup(rc *reqCtx, id string) *response {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[id]
	if g == nil {
		return errResponse(errNotFound(id))
	}
	t.softDeleteGroup(g, rc.now)
	return noContent()
}

// checkRoleAssignable applies Graph's rule for isAssignableToRole: a
// role-assignable group is a security group with assigned membership.
func checkRoleAssignable(g *Group) *gerror {
	if g.IsAssignableToRole == nil || !*g.IsAssignableToRole {
		return nil
	}
	if !g.SecurityEnabled {
		return errBadRequest("A group with isAssignableToRole set to true must have securityEnabled set to true.")
	}
	for _, gt := range g.GroupTypes {
		if strings.EqualFold(gt, "DynamicMembership") {
			return errBadRequest("A group with isAssignableToRole set to true cannot have dynamic membership.")
		}
	}
	return nil
}

// isDistribution reports a mail-enabled non-security, non-Microsoft 365
// group: Graph deletes those permanently at once.
func isDistribution(g *Group) bool {
	for _, gt := range g.GroupTypes {
		if strings.EqualFold(gt, "Unified") {
			return false
		}
	}
	return g.MailEnabled && !g.SecurityEnabled
}
