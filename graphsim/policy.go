package graphsim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// policyStore holds a tenant's cross-tenant access policy. Its shapes are
// small and nested, so they are kept as decoded JSON.
type policyStore struct {
	def      map[string]any
	partners map[string]*partner
}

type partner struct {
	cfg  map[string]any
	sync map[string]any // identitySynchronization; nil when absent
}

var (
	partnerKeys = []string{"tenantId", "inboundTrust", "automaticUserConsentSettings", "b2bCollaborationInbound",
		"b2bCollaborationOutbound", "b2bDirectConnectInbound", "b2bDirectConnectOutbound", "isServiceProvider",
		"isInMultiTenantOrganization", "tenantRestrictions"}
	defaultKeys = []string{"isServiceDefault", "inboundTrust", "automaticUserConsentSettings", "b2bCollaborationInbound",
		"b2bCollaborationOutbound", "b2bDirectConnectInbound", "b2bDirectConnectOutbound",
		"invitationRedemptionIdentityProviderConfiguration", "tenantRestrictions"}
	syncKeys = []string{"tenantId", "displayName", "userSyncInbound", "groupSyncInbound"}
	guidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// accessSetting builds Graph's crossTenantAccessPolicyB2BSetting.
func accessSetting(access, users, apps string) map[string]any {
	return map[string]any{
		"usersAndGroups": map[string]any{"accessType": access, "targets": []any{map[string]any{"target": users, "targetType": "user"}}},
		"applications":   map[string]any{"accessType": access, "targets": []any{map[string]any{"target": apps, "targetType": "application"}}},
	}
}

// serviceDefault is the default policy every tenant starts with.
func serviceDefault() map[string]any {
	return map[string]any{
		"isServiceDefault": true,
		"inboundTrust": map[string]any{"isMfaAccepted": false, "isCompliantDeviceAccepted": false,
			"isHybridAzureADJoinedDeviceAccepted": false},
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": false, "outboundAllowed": false},
		"b2bCollaborationOutbound":     accessSetting("allowed", "AllUsers", "AllApplications"),
		"b2bCollaborationInbound":      accessSetting("allowed", "AllUsers", "AllApplications"),
		"b2bDirectConnectOutbound":     accessSetting("blocked", "AllUsers", "AllApplications"),
		"b2bDirectConnectInbound":      accessSetting("blocked", "AllUsers", "AllApplications"),
	}
}

func newPolicyStore() *policyStore {
	return &policyStore{def: serviceDefault(), partners: map[string]*partner{}}
}

// merge applies a PATCH body: objects merge recursively, other values
// replace.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				merge(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}

// decodeSettings decodes a body, rejecting keys not in allowed.
func decodeSettings(body []byte, allowed []string, typeName string) (map[string]any, *gerror) {
	if _, e := decodeObject(body); e != nil {
		return nil, e
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil, errInvalidJSON()
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isAnnotation(k) {
			delete(m, k)
			continue
		}
		if !containsString(allowed, k) {
			return nil, errBadRequestPlain("Property '" + k + "' does not exist on type '" + typeName + "'.")
		}
	}
	return m, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// renderSettings renders m with every key of keys (null when unset).
func renderSettings(ctx string, m map[string]any, keys []string) []byte {
	out := map[string]any{"@odata.context": ctx}
	for _, k := range keys {
		out[k] = m[k]
	}
	b, _ := json.Marshal(out)
	return b
}

func renderPartner(p *partner) map[string]any {
	out := map[string]any{}
	for _, k := range partnerKeys {
		out[k] = p.cfg[k]
	}
	if out["automaticUserConsentSettings"] == nil {
		out["automaticUserConsentSettings"] = map[string]any{"inboundAllowed": nil, "outboundAllowed": nil}
	}
	return out
}

// routePolicies serves /policies/crossTenantAccessPolicy[...].
func (t *Tenant) routePolicies(rc *reqCtx) *response {
	s := rc.segs
	if len(s) < 2 || s[1] != "crossTenantAccessPolicy" {
		return errResponse(errNoRoute(rc.method, s[len(s)-1]))
	}
	base := "policies/crossTenantAccessPolicy"
	switch {
	case len(s) == 2 && rc.method == http.MethodGet:
		b, _ := json.Marshal(map[string]any{"@odata.context": rc.context(base + "/$entity"), "id": t.info.ID,
			"displayName": "CrossTenantAccessPolicy", "description": nil, "allowedCloudEndpoints": []string{}})
		return jsonResponse(200, b)
	case len(s) >= 3 && s[2] == "default":
		return t.policyDefault(rc, s[3:], base+"/default/$entity")
	case len(s) >= 3 && s[2] == "partners":
		return t.policyPartners(rc, s[3:], base+"/partners")
	}
	return errResponse(errNoRoute(rc.method, s[len(s)-1]))
}

func (t *Tenant) policyDefault(rc *reqCtx, rest []string, ctx string) *response {
	ps := t.st.policy
	switch {
	case len(rest) == 0 && rc.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		return jsonResponse(200, renderSettings(rc.context(ctx), ps.def, defaultKeys))
	case len(rest) == 0 && rc.method == http.MethodPatch:
		m, e := decodeSettings(rc.body, defaultKeys, "microsoft.graph.crossTenantAccessPolicyConfigurationDefault")
		if e != nil {
			return errResponse(e)
		}
		delete(m, "isServiceDefault")
		t.mu.Lock()
		defer t.mu.Unlock()
		merge(ps.def, m)
		ps.def["isServiceDefault"] = false
		return noContent()
	case len(rest) == 1 && strings.TrimPrefix(rest[0], "microsoft.graph.") == "resetToSystemDefault" && rc.method == http.MethodPost:
		t.mu.Lock()
		defer t.mu.Unlock()
		ps.def = serviceDefault()
		return noContent()
	}
	return errResponse(errMethod(rc.method))
}

func (t *Tenant) policyPartners(rc *reqCtx, rest []string, ctx string) *response {
	ps := t.st.policy
	if len(rest) == 0 {
		switch rc.method {
		case http.MethodGet:
			t.mu.RLock()
			defer t.mu.RUnlock()
			ids := make([]string, 0, len(ps.partners))
			for id := range ps.partners {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			vals := make([]any, 0, len(ids))
			for _, id := range ids {
				vals = append(vals, renderPartner(ps.partners[id]))
			}
			b, _ := json.Marshal(map[string]any{"@odata.context": rc.context(ctx), "value": vals})
			return jsonResponse(200, b)
		case http.MethodPost:
			m, e := decodeSettings(rc.body, partnerKeys, "microsoft.graph.crossTenantAccessPolicyConfigurationPartner")
			if e != nil {
				return errResponse(e)
			}
			tid, _ := m["tenantId"].(string)
			if !guidRe.MatchString(tid) {
				return errResponse(errBadRequest("Property tenantId value is required but is empty or missing."))
			}
			tid = lower(tid)
			m["tenantId"] = tid
			t.mu.Lock()
			defer t.mu.Unlock()
			if ps.partners[tid] != nil {
				return errResponse(&gerror{status: http.StatusConflict, code: "Request_MultipleObjectsWithSameKeyValue",
					message: "A partner policy for tenant '" + tid + "' already exists."})
			}
			p := &partner{cfg: m}
			ps.partners[tid] = p
			out := renderPartner(p)
			out["@odata.context"] = rc.context(ctx + "/$entity")
			b, _ := json.Marshal(out)
			return jsonResponse(http.StatusCreated, b)
		}
		return errResponse(errMethod(rc.method))
	}
	tid := lower(rest[0])
	if len(rest) == 2 && rest[1] == "identitySynchronization" {
		return t.identitySync(rc, tid, ctx+"/$entity/identitySynchronization/$entity")
	}
	if len(rest) != 1 {
		return errResponse(errNoRoute(rc.method, rest[len(rest)-1]))
	}
	switch rc.method {
	case http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		p := ps.partners[tid]
		if p == nil {
			return errResponse(errNotFound(rest[0]))
		}
		out := renderPartner(p)
		out["@odata.context"] = rc.context(ctx + "/$entity")
		b, _ := json.Marshal(out)
		return jsonResponse(200, b)
	case http.MethodPatch:
		m, e := decodeSettings(rc.body, partnerKeys, "microsoft.graph.crossTenantAccessPolicyConfigurationPartner")
		if e != nil {
			return errResponse(e)
		}
		delete(m, "tenantId")
		t.mu.Lock()
		defer t.mu.Unlock()
		p := ps.partners[tid]
		if p == nil {
			return errResponse(errNotFound(rest[0]))
		}
		merge(p.cfg, m)
		return noContent()
	case http.MethodDelete:
		t.mu.Lock()
		defer t.mu.Unlock()
		if ps.partners[tid] == nil {
			return errResponse(errNotFound(rest[0]))
		}
		delete(ps.partners, tid)
		return noContent()
	}
	return errResponse(errMethod(rc.method))
}

// identitySync serves .../partners/{id}/identitySynchronization.
func (t *Tenant) identitySync(rc *reqCtx, tid, ctx string) *response {
	ps := t.st.policy
	switch rc.method {
	case http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		p := ps.partners[tid]
		if p == nil || p.sync == nil {
			return errResponse(errNotFound(tid))
		}
		return jsonResponse(200, renderSettings(rc.context(ctx), p.sync, syncKeys))
	case http.MethodPut, http.MethodPatch:
		m, e := decodeSettings(rc.body, syncKeys, "microsoft.graph.crossTenantIdentitySyncPolicyPartner")
		if e != nil {
			return errResponse(e)
		}
		m["tenantId"] = tid
		t.mu.Lock()
		defer t.mu.Unlock()
		p := ps.partners[tid]
		if p == nil {
			return errResponse(errNotFound(tid))
		}
		if p.sync == nil || rc.method == http.MethodPut {
			p.sync = m
		} else {
			merge(p.sync, m)
		}
		return noContent()
	case http.MethodDelete:
		t.mu.Lock()
		defer t.mu.Unlock()
		p := ps.partners[tid]
		if p == nil || p.sync == nil {
			return errResponse(errNotFound(tid))
		}
		p.sync = nil
		return noContent()
	}
	return errResponse(errMethod(rc.method))
}
