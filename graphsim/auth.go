package graphsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Entra (AADSTS) error codes the token endpoint answers with.
const (
	aadTenantNotFound   = 90002
	aadAppNotFound      = 700016
	aadBadSecret        = 7000215
	aadBadGrant         = 70003
	aadBadScope         = 1002012
	aadMissingSecret    = 7000218
	aadMalformedRequest = 900144
)

// serveAuth answers the Entra endpoints MSAL and azidentity use:
// token, OpenID metadata, JWKS and instance discovery.
func (s *Server) serveAuth(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	path := strings.Join(segs[min(1, len(segs)):], "/")
	switch {
	case len(segs) >= 2 && segs[0] == "common" && path == "discovery/instance":
		s.instanceDiscovery(w, r)
	case len(segs) >= 2 && (path == "v2.0/.well-known/openid-configuration" || path == ".well-known/openid-configuration"):
		s.openIDConfig(w, r, segs[0])
	case len(segs) >= 2 && (path == "discovery/v2.0/keys" || path == "discovery/keys"):
		writeJSON(w, http.StatusOK, s.keys.jwks())
	case len(segs) >= 2 && (path == "oauth2/v2.0/token" || path == "oauth2/token"):
		s.token(w, r, segs[0])
	default:
		rc := &reqCtx{now: s.now(), reqID: newRequestID()}
		rc.clientReqID = rc.reqID
		s.write(w, rc, errResponse(errNoRoute(r.Method, strings.Trim(r.URL.Path, "/"))))
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// oauthError writes an AADSTS-shaped OAuth error.
func (s *Server) oauthError(w http.ResponseWriter, status int, kind string, code int, desc string) {
	trace, corr := newRequestID(), newRequestID()
	ts := s.now().UTC().Format("2006-01-02 15:04:05Z")
	body, _ := json.Marshal(map[string]any{
		"error":             kind,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", code, desc, trace, corr, ts),
		"error_codes":       []int{code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("%s/error?code=%d", s.base, code),
	})
	writeJSON(w, status, body)
}

// token implements the client credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenantKey string) {
	if r.Method != http.MethodPost {
		s.oauthError(w, http.StatusMethodNotAllowed, "invalid_request", aadMalformedRequest, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	t := s.Tenant(tenantKey)
	if t == nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", aadTenantNotFound,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenantKey))
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", aadMalformedRequest, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		form = url.Values{}
	}
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	switch {
	case form.Get("grant_type") == "":
		s.oauthError(w, http.StatusBadRequest, "invalid_request", aadMalformedRequest, "The request body must contain the following parameter: 'grant_type'.")
		return
	case form.Get("grant_type") != "client_credentials":
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", aadBadGrant, "The provided value for the input parameter 'grant_type' is not valid. Expected values are the following: 'client_credentials'.")
		return
	case clientID == "":
		s.oauthError(w, http.StatusBadRequest, "invalid_request", aadMalformedRequest, "The request body must contain the following parameter: 'client_id'.")
		return
	case clientID != t.info.ClientID:
		s.oauthError(w, http.StatusBadRequest, "unauthorized_client", aadAppNotFound,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, t.info.Domain))
		return
	case secret == "" && form.Get("client_assertion") == "":
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", aadMissingSecret, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case secret != t.info.ClientSecret, t.Limits().Unauthorized:
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", aadBadSecret,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
		return
	}
	if !validScope(form.Get("scope")) {
		s.oauthError(w, http.StatusBadRequest, "invalid_scope", aadBadScope,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", form.Get("scope")))
		return
	}
	now := s.now()
	tok, err := s.keys.sign(claims{
		Aud: graphAudience, Iss: "https://sts.windows.net/" + t.info.ID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
		AppID: clientID, Idtyp: "app", Oid: servicePrincipalID(t.info), Sub: servicePrincipalID(t.info),
		Roles: []string{"User.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All", "User.Invite.All", "Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"},
		Tid:   t.info.ID, Uti: newRequestID(), Ver: "1.0",
	})
	if err != nil {
		s.oauthError(w, http.StatusInternalServerError, "server_error", 50000, "There was an error issuing a token.")
		return
	}
	t.stats.tokens.Add(1)
	body, _ := json.Marshal(map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()), "ext_expires_in": int(tokenLifetime.Seconds()),
		"access_token": tok,
	})
	writeJSON(w, http.StatusOK, body)
}

// validScope accepts Graph's /.default scope in its usual spellings.
func validScope(scope string) bool {
	for _, sc := range strings.Fields(scope) {
		switch strings.ToLower(sc) {
		case "https://graph.microsoft.com/.default", "https://graph.microsoft.com//.default", graphAppID + "/.default":
			return true
		}
	}
	return false
}

// servicePrincipalID derives a stable object id for the tenant's app.
func servicePrincipalID(in TenantInfo) string { return deterministicGUID("sp", in.ID, in.ClientID) }

// openIDConfig serves the metadata MSAL reads before requesting tokens.
func (s *Server) openIDConfig(w http.ResponseWriter, r *http.Request, tenantKey string) {
	id := tenantKey
	switch strings.ToLower(tenantKey) {
	case "common", "organizations":
		id = "{tenantid}"
	default:
		t := s.Tenant(tenantKey)
		if t == nil {
			s.oauthError(w, http.StatusBadRequest, "invalid_tenant", aadTenantNotFound,
				fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenantKey))
			return
		}
		id = t.info.ID
	}
	b := s.base + "/" + id
	body, _ := json.Marshal(map[string]any{
		"token_endpoint":                        b + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              b + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                b + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     s.base + "/oidc/userinfo",
		"authorization_endpoint":                b + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         b + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  b + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "tid", "appid"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          strings.TrimPrefix(strings.TrimPrefix(s.base, "https://"), "http://"),
	})
	writeJSON(w, http.StatusOK, body)
}

// instanceDiscovery mirrors login.microsoftonline.com/common/discovery/instance.
// MSAL only calls it when instance discovery is enabled, and then against
// the real host, so this is for clients pointed here explicitly.
func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := strings.TrimPrefix(strings.TrimPrefix(s.base, "https://"), "http://")
	tenant := "common"
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if u, err := url.Parse(ae); err == nil {
			if segs := strings.Split(strings.Trim(u.Path, "/"), "/"); len(segs) > 0 && segs[0] != "" {
				tenant = segs[0]
			}
		}
	}
	body, _ := json.Marshal(map[string]any{
		"tenant_discovery_endpoint": s.base + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
		}},
	})
	writeJSON(w, http.StatusOK, body)
}
