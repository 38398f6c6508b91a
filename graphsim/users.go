package graphsim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// isDelta matches the delta function segment in its accepted spellings.
func isDelta(seg string) bool {
	switch seg {
	case "delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()":
		return true
	}
	return false
}

// routeUsers serves /users and everything below it.
func (t *Tenant) routeUsers(rc *reqCtx) *response {
	s := rc.segs
	switch {
	case len(s) == 1:
		switch rc.method {
		case http.MethodGet:
			return t.listUsers(rc)
		case http.MethodPost:
			return t.createUser(rc)
		}
		return errResponse(errMethod(rc.method))
	case len(s) == 2 && s[1] == "$count":
		return t.countObjects(rc, kindUser)
	case len(s) == 2 && isDelta(s[1]):
		if rc.method != http.MethodGet {
			return errResponse(errMethod(rc.method))
		}
		return t.userDelta(rc)
	case len(s) == 2:
		switch rc.method {
		case http.MethodGet:
			return t.getUser(rc, s[1])
		case http.MethodPatch:
			return t.patchUser(rc, s[1])
		case http.MethodDelete:
			return t.deleteUser(rc, s[1])
		}
		return errResponse(errMethod(rc.method))
	case len(s) >= 3 && s[2] == "manager":
		return t.routeManager(rc, s[1], s[3:])
	case len(s) >= 3 && s[2] == "memberOf":
		return t.userMemberOf(rc, s[1], s[3:])
	}
	return errResponse(errNoRoute(rc.method, s[len(s)-1]))
}

func (t *Tenant) listUsers(rc *reqCtx) *response {
	o, e := parseListOpts(rc, userSchema, "displayName", "userPrincipalName")
	if e != nil {
		return errResponse(e)
	}
	expand, e := t.parseExpandManager(rc)
	if e != nil {
		return errResponse(e)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return listPage(rc, pageSpec[User]{kind: "users", context: "users", sch: userSchema, list: &t.st.userList,
		id: func(u *User) string { return u.ID }, extra: expand, candidates: func(f *odata.Filter) ([]*User, bool) {
			return t.st.eq.candidates(f, t.st.users)
		}}, o)
}

// countObjects answers /users/$count and /groups/$count as text/plain.
func (t *Tenant) countObjects(rc *reqCtx, kind objKind) *response {
	if rc.method != http.MethodGet {
		return errResponse(errMethod(rc.method))
	}
	if !strings.EqualFold(rc.header.Get("ConsistencyLevel"), "eventual") {
		return errResponse(errNeedsAdvanced("Raw count (/$count)"))
	}
	t.mu.RLock()
	n := t.st.userList.live()
	if kind == kindGroup {
		n = t.st.groupList.live()
	}
	t.mu.RUnlock()
	return &response{status: 200, body: strconv.AppendInt(nil, int64(n), 10), text: true}
}

// renderEntity renders one object with $select for GET by id.
func renderEntity[T any](rc *reqCtx, sch *schema[T], v *T, set string, typeName string) *response {
	sel, names, e := parseSelect(rc.query.Get("$select"), sch)
	if e != nil {
		return errResponse(e)
	}
	ctx := rc.context(set + selectSuffix(names) + "/$entity")
	return jsonResponse(200, sch.appendObject(nil, v, sel, func(b []byte) []byte {
		b = append(b, `"@odata.context":`...)
		b = appendString(b, ctx)
		if typeName != "" {
			b = append(b, `,"@odata.type":"#`...)
			b = append(b, typeName...)
			b = append(b, '"')
		}
		return b
	}))
}

func (t *Tenant) getUser(rc *reqCtx, key string) *response {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.st.userByKey(key)
	if u == nil {
		return errResponse(errNotFound(key))
	}
	expand, e := t.parseExpandManager(rc)
	if e != nil {
		return errResponse(e)
	}
	resp := renderEntity(rc, userSchema, u, "users", "")
	if expand != nil && resp.err == nil {
		resp.body = append(expand(resp.body[:len(resp.body)-1], u), '}')
	}
	return resp
}

// parseExpandManager supports $expand=manager and
// $expand=manager($select=...), the one expansion directory sync needs.
// The caller must hold the read lock when the returned func runs.
func (t *Tenant) parseExpandManager(rc *reqCtx) (func([]byte, *User) []byte, *gerror) {
	raw := strings.TrimSpace(rc.query.Get("$expand"))
	if raw == "" {
		return nil, nil
	}
	name, inner, hasInner := strings.Cut(raw, "(")
	if !strings.EqualFold(strings.TrimSpace(name), "manager") {
		return nil, errBadRequestPlain("Could not find a property named '" + strings.TrimSpace(name) + "' on type '" + typeUser + "'.")
	}
	sel := []int{}
	for _, n := range []string{"id", "displayName", "userPrincipalName"} {
		i, _ := userSchema.lookup(n)
		sel = append(sel, i)
	}
	if hasInner {
		opt, ok := strings.CutSuffix(strings.TrimSpace(inner), ")")
		k, v, _ := strings.Cut(opt, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "$select") {
			return nil, errBadRequestPlain("Invalid $expand option '" + raw + "'.")
		}
		var e *gerror
		if sel, _, e = parseSelect(v, userSchema); e != nil {
			return nil, e
		}
	}
	return func(b []byte, u *User) []byte {
		m := t.st.users[u.ManagerID]
		if m == nil {
			return b
		}
		b = append(b, `,"manager":`...)
		return userSchema.appendObject(b, m, sel, typeAnnotation(typeUser))
	}, nil
}

// checkSyncedProps refuses writes Graph leaves to directory
// synchronization: the extension attributes of a user synced from an
// on-premises directory have their source of authority there.
func checkSyncedProps(u *User, o object) *gerror {
	if u.OnPremisesSyncEnabled == nil || !*u.OnPremisesSyncEnabled {
		return nil
	}
	for _, k := range o.keys {
		if strings.EqualFold(k, "onPremisesExtensionAttributes") {
			return errBadRequest("Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		}
	}
	return nil
}

// checkUPN validates a UPN's shape, domain and uniqueness (self excluded).
func (t *Tenant) checkUPN(upn string, self *User) *gerror {
	at := strings.LastIndexByte(upn, '@')
	if at <= 0 || at == len(upn)-1 || strings.ContainsAny(upn, " \t\"") {
		return errBadRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.")
	}
	if !strings.EqualFold(upn[at+1:], t.info.Domain) && !strings.EqualFold(upn[at+1:], t.initialDomain()) {
		return errBadRequest("The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.")
	}
	if other := t.st.byUPN[lower(upn)]; other != nil && other != self {
		return errBadRequest("Another object with the same value for property userPrincipalName already exists.")
	}
	for _, du := range t.st.deletedUsers {
		if du != self && strings.EqualFold(du.UserPrincipalName, upn) {
			return errBadRequest("Another object with the same value for property userPrincipalName already exists.")
		}
	}
	return nil
}

func (t *Tenant) createUser(rc *reqCtx) *response {
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	u := &User{}
	if e := applyProps(u, userSchema, o, "User"); e != nil {
		return errResponse(e)
	}
	if e := requireProps(o, "accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"); e != nil {
		return errResponse(e)
	}
	u.ID = newRequestID()
	u.CreatedDateTime = rc.now.UTC().Truncate(1e9)
	if u.UserType == "" {
		u.UserType = "Member"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.checkUPN(u.UserPrincipalName, nil); e != nil {
		return errResponse(e)
	}
	if e := t.bindManager(u, o); e != nil {
		return errResponse(e)
	}
	t.st.listUser(u)
	t.st.record(kindUser, u.ID)
	t.st.noteManager(u, "")
	resp := renderEntity(rc, userSchema, u, "users", "")
	resp.status = http.StatusCreated
	return resp
}

// bindManager applies "manager@odata.bind" from a create or update body.
func (t *Tenant) bindManager(u *User, o object) *gerror {
	ref, ok := o.str("manager@odata.bind")
	if !ok {
		return nil
	}
	id, ok := refID(ref)
	if !ok || t.st.users[id] == nil {
		return errNotFound(id)
	}
	u.ManagerID = id
	return nil
}

func (t *Tenant) patchUser(rc *reqCtx, key string) *response {
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.userByKey(key)
	if u == nil {
		return errResponse(errNotFound(key))
	}
	if e := checkSyncedProps(u, o); e != nil {
		return errResponse(e)
	}
	// Validate on a copy so a failed PATCH changes nothing.
	c := *u
	if e := applyProps(&c, userSchema, o, "User"); e != nil {
		return errResponse(e)
	}
	if o.has("userPrincipalName") && !strings.EqualFold(c.UserPrincipalName, u.UserPrincipalName) {
		if e := t.checkUPN(c.UserPrincipalName, u); e != nil {
			return errResponse(e)
		}
	}
	if e := t.bindManager(&c, o); e != nil {
		return errResponse(e)
	}
	former := u.ManagerID
	t.st.unindexUser(u)
	*u = c
	t.st.indexUser(u)
	t.st.record(kindUser, u.ID)
	t.st.noteManager(u, former)
	return noContent()
}

func (t *Tenant) deleteUser(rc *reqCtx, key string) *response {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.userByKey(key)
	if u == nil {
		return errResponse(errNotFound(key))
	}
	t.softDeleteUser(u, rc.now)
	return noContent()
}

// routeManager serves /users/{id}/manager and its $ref.
func (t *Tenant) routeManager(rc *reqCtx, key string, rest []string) *response {
	isRef := len(rest) == 1 && rest[0] == "$ref"
	if len(rest) > 1 || (len(rest) == 1 && !isRef) {
		return errResponse(errNoRoute(rc.method, rest[len(rest)-1]))
	}
	if rc.method == http.MethodGet {
		t.mu.RLock()
		defer t.mu.RUnlock()
		u := t.st.userByKey(key)
		if u == nil {
			return errResponse(errNotFound(key))
		}
		m := t.st.users[u.ManagerID]
		if m == nil {
			return errResponse(errNotFound("manager"))
		}
		if isRef {
			b := append([]byte(`{"@odata.context":`), appendString(nil, rc.context("directoryObjects/$entity"))...)
			b = append(b, `,"@odata.id":`...)
			b = appendString(b, rc.graphBase()+"/directoryObjects/"+m.ID+"/Microsoft.DirectoryServices.User")
			return jsonResponse(200, append(b, '}'))
		}
		return renderEntity(rc, userSchema, m, "directoryObjects", typeUser)
	}
	if !isRef {
		return errResponse(errMethod(rc.method))
	}
	switch rc.method {
	case http.MethodPut:
		o, e := decodeObject(rc.body)
		if e != nil {
			return errResponse(e)
		}
		ref, _ := o.str("@odata.id")
		id, ok := refID(ref)
		if !ok {
			return errResponse(errBadRequest("Invalid object identifier '" + ref + "'."))
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		u := t.st.userByKey(key)
		if u == nil {
			return errResponse(errNotFound(key))
		}
		if t.st.users[id] == nil {
			return errResponse(errNotFound(id))
		}
		former := u.ManagerID
		u.ManagerID = id
		t.st.record(kindUser, u.ID)
		t.st.noteManager(u, former)
		return noContent()
	case http.MethodDelete:
		t.mu.Lock()
		defer t.mu.Unlock()
		u := t.st.userByKey(key)
		if u == nil {
			return errResponse(errNotFound(key))
		}
		if u.ManagerID == "" {
			return errResponse(errNotFound("manager"))
		}
		former := u.ManagerID
		u.ManagerID = ""
		t.st.record(kindUser, u.ID)
		t.st.noteManager(u, former)
		return noContent()
	}
	return errResponse(errMethod(rc.method))
}
