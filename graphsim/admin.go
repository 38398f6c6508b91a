package graphsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// tenantStatus is one tenant in the admin API.
type tenantStatus struct {
	TenantLine
	Users   int    `json:"users"`
	Groups  int    `json:"groups"`
	Deleted int    `json:"deleted"`
	Changes uint64 `json:"changes"`
	Limits  Limits `json:"limits"`
	Stats   Stats  `json:"stats"`
}

func (s *Server) status(t *Tenant) tenantStatus {
	in := t.Info()
	line := TenantLine{TenantID: in.ID, Domain: in.Domain, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
		GraphURL: s.GraphURL(), AuthorityURL: s.AuthorityURL(), CAFile: s.caFile}
	return tenantStatus{TenantLine: line, Users: t.UserCount(), Groups: t.GroupCount(), Deleted: t.DeletedCount(),
		Changes: t.ChangeCount(), Limits: t.Limits(), Stats: t.Stats()}
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	writeJSON(w, status, b)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	adminJSON(w, status, map[string]string{"error": msg})
}

// serveAdmin is the runtime control API for scripts and benchmarks:
//
//	GET  /_sim/health
//	GET  /_sim/tenants                     all tenants with counts, limits, stats
//	GET  /_sim/tenants/{id}
//	GET  /_sim/tenants/{id}/limits         PUT replaces them (JSON Limits)
//	GET  /_sim/tenants/{id}/stats
//	POST /_sim/tenants/{id}/users/{uid}/redeem   accept a guest's invitation
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sim"), "/"), "/")
	switch {
	case len(segs) == 1 && segs[0] == "health":
		adminJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	case len(segs) == 1 && segs[0] == "tenants" && r.Method == http.MethodGet:
		out := []tenantStatus{}
		for _, t := range s.Tenants() {
			out = append(out, s.status(t))
		}
		adminJSON(w, http.StatusOK, out)
		return
	case len(segs) < 2 || segs[0] != "tenants":
		adminError(w, http.StatusNotFound, "unknown admin path "+r.URL.Path)
		return
	}
	t := s.Tenant(segs[1])
	if t == nil {
		adminError(w, http.StatusNotFound, "unknown tenant "+segs[1])
		return
	}
	rest := strings.Join(segs[2:], "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, s.status(t))
	case rest == "limits" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, t.Limits())
	case rest == "limits" && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		s.putLimits(w, r, t)
	case rest == "stats" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, t.Stats())
	case len(segs) == 5 && segs[2] == "users" && segs[4] == "redeem" && r.Method == http.MethodPost:
		if err := t.RedeemInvitation(segs[3]); err != nil {
			adminError(w, http.StatusNotFound, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		adminError(w, http.StatusNotFound, "unknown admin path "+r.URL.Path)
	}
}

// putLimits replaces limits (PUT) or updates the fields present (PATCH).
func (s *Server) putLimits(w http.ResponseWriter, r *http.Request, t *Tenant) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		adminError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	l := Limits{}
	if r.Method == http.MethodPatch {
		l = t.Limits()
		cur, _ := json.Marshal(l)
		var merged map[string]any
		_ = json.Unmarshal(cur, &merged)
		var patch map[string]any
		if err := json.Unmarshal(raw, &patch); err != nil {
			adminError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return
		}
		merge(merged, patch)
		raw, _ = json.Marshal(merged)
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		adminError(w, http.StatusBadRequest, "invalid limits: "+err.Error())
		return
	}
	if err := t.SetLimits(l); err != nil {
		var status = http.StatusBadRequest
		if errors.Is(err, ErrUnknownTenant) {
			status = http.StatusNotFound
		}
		adminError(w, status, err.Error())
		return
	}
	adminJSON(w, http.StatusOK, t.Limits())
}
