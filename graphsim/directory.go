package graphsim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// routeOrganization serves /organization, which clients use to check a
// connection and read the verified domains.
func (t *Tenant) routeOrganization(rc *reqCtx) *response {
	if rc.method != http.MethodGet {
		return errResponse(errMethod(rc.method))
	}
	org := map[string]any{
		"id": t.info.ID, "displayName": t.displayName(), "tenantType": "AAD", "countryLetterCode": "US",
		"verifiedDomains": []map[string]any{
			{"capabilities": "Email, OfficeCommunicationsOnlineService", "isDefault": true, "isInitial": false, "name": t.info.Domain, "type": "Managed"},
			{"capabilities": "Email, OfficeCommunicationsOnlineService", "isDefault": false, "isInitial": true, "name": t.initialDomain(), "type": "Managed"},
		},
	}
	switch len(rc.segs) {
	case 1:
		b, _ := json.Marshal(map[string]any{"@odata.context": rc.context("organization"), "value": []any{org}})
		return jsonResponse(200, b)
	case 2:
		if !strings.EqualFold(rc.segs[1], t.info.ID) {
			return errResponse(errNotFound(rc.segs[1]))
		}
		org["@odata.context"] = rc.context("organization/$entity")
		b, _ := json.Marshal(org)
		return jsonResponse(200, b)
	}
	return errResponse(errNoRoute(rc.method, rc.segs[len(rc.segs)-1]))
}

// displayName derives an organization name from the domain.
func (t *Tenant) displayName() string {
	label, _, _ := strings.Cut(t.info.Domain, ".")
	if label == "" {
		return t.info.Domain
	}
	return strings.ToUpper(label[:1]) + label[1:]
}

// routeDirectoryObjects serves /directoryObjects/{id} and getByIds.
func (t *Tenant) routeDirectoryObjects(rc *reqCtx) *response {
	s := rc.segs
	switch {
	case len(s) == 2 && strings.TrimPrefix(s[1], "microsoft.graph.") == "getByIds" && rc.method == http.MethodPost:
		return t.getByIDs(rc)
	case len(s) == 2 && rc.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		if t.st.kindOf(s[1]) == 0 {
			return errResponse(errNotFound(s[1]))
		}
		return t.renderDirEntity(rc, s[1])
	case len(s) == 2:
		return errResponse(errMethod(rc.method))
	}
	return errResponse(errNoRoute(rc.method, s[len(s)-1]))
}

func (t *Tenant) getByIDs(rc *reqCtx) *response {
	if _, e := decodeObject(rc.body); e != nil {
		return errResponse(e)
	}
	var req struct {
		IDs   []string `json:"ids"`
		Types []string `json:"types"`
	}
	if json.Unmarshal(rc.body, &req) != nil {
		return errResponse(errInvalidJSON())
	}
	if len(req.IDs) > 1000 {
		return errResponse(errBadRequest("The number of ids exceeds the limit of 1000."))
	}
	want := map[objKind]bool{}
	for _, ty := range req.Types {
		switch strings.ToLower(strings.TrimPrefix(ty, "microsoft.graph.")) {
		case "user":
			want[kindUser] = true
		case "group":
			want[kindGroup] = true
		}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	ds := dirSelect{user: userSchema.defaults, group: groupSchema.defaults}
	b := append([]byte(`{"@odata.context":`), appendString(nil, rc.context("directoryObjects"))...)
	b = append(b, `,"value":[`...)
	n := 0
	for _, id := range req.IDs {
		k := t.st.kindOf(id)
		if k == 0 || (len(want) > 0 && !want[k]) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = t.st.appendDirObject(b, id, ds)
		n++
	}
	return jsonResponse(200, append(b, "]}"...))
}
