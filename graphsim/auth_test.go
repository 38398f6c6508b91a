package graphsim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	in := s.ten.Info()
	good := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {in.ClientID},
			"client_secret": {in.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	}
	tests := []struct {
		name     string
		tenant   string
		mutate   func(url.Values)
		status   int
		errKind  string
		aadsCode int
	}{
		{"ok by id", in.ID, func(url.Values) {}, 200, "", 0},
		{"ok by domain", in.Domain, func(url.Values) {}, 200, "", 0},
		{"bad secret", in.ID, func(v url.Values) { v.Set("client_secret", "nope") }, 401, "invalid_client", 7000215},
		{"missing secret", in.ID, func(v url.Values) { v.Del("client_secret") }, 401, "invalid_client", 7000218},
		{"unknown client", in.ID, func(v url.Values) { v.Set("client_id", "11111111-1111-4111-8111-111111111111") }, 400, "unauthorized_client", 700016},
		{"unknown tenant", "22222222-2222-4222-8222-222222222222", func(url.Values) {}, 400, "invalid_request", 90002},
		{"bad grant", in.ID, func(v url.Values) { v.Set("grant_type", "password") }, 400, "unsupported_grant_type", 70003},
		{"bad scope", in.ID, func(v url.Values) { v.Set("scope", "User.Read") }, 400, "invalid_scope", 1002012},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := good()
			tc.mutate(form)
			status, body := s.tokenRequest(tc.tenant, form)
			require.Equal(t, tc.status, status, "%s", body)
			var m map[string]any
			require.NoError(t, json.Unmarshal(body, &m))
			if tc.status == 200 {
				require.Equal(t, "Bearer", m["token_type"])
				require.EqualValues(t, 3599, m["expires_in"])
				require.EqualValues(t, 3599, m["ext_expires_in"])
				require.NotEmpty(t, m["access_token"])
				return
			}
			require.Equal(t, tc.errKind, m["error"])
			require.Equal(t, []any{float64(tc.aadsCode)}, m["error_codes"])
			require.True(t, strings.HasPrefix(m["error_description"].(string), "AADSTS"), m["error_description"])
		})
	}
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	c, err := s.srv.keys.verify(s.token)
	require.NoError(t, err)
	in := s.ten.Info()
	require.Equal(t, in.ID, c.Tid)
	require.Equal(t, in.ClientID, c.AppID)
	require.Equal(t, graphAudience, c.Aud)
	require.Equal(t, s.clock.Now().Add(tokenLifetime).Unix(), c.Exp)
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	in := s.ten.Info()
	for _, key := range []string{in.ID, in.Domain} {
		resp, err := s.srv.HTTPClient().Get(s.srv.AuthorityURL() + key + "/v2.0/.well-known/openid-configuration")
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		require.NoError(t, resp.Body.Close())
		require.Equal(t, 200, resp.StatusCode)
		base := strings.TrimSuffix(s.srv.AuthorityURL(), "/")
		require.Equal(t, base+"/"+in.ID+"/oauth2/v2.0/token", m["token_endpoint"])
		require.Equal(t, base+"/"+in.ID+"/v2.0", m["issuer"])
		require.Equal(t, base+"/"+in.ID+"/oauth2/v2.0/authorize", m["authorization_endpoint"])
	}
	resp, err := s.srv.HTTPClient().Get(s.srv.AuthorityURL() + "nosuch.example/v2.0/.well-known/openid-configuration")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 400, resp.StatusCode)

	resp, err = s.srv.HTTPClient().Get(s.srv.AuthorityURL() + "common/discovery/instance?api-version=1.1&authorization_endpoint=" +
		url.QueryEscape(s.srv.AuthorityURL()+in.ID+"/oauth2/v2.0/authorize"))
	require.NoError(t, err)
	var disc map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&disc))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, s.srv.AuthorityURL()+in.ID+"/v2.0/.well-known/openid-configuration", disc["tenant_discovery_endpoint"])
}

func TestGraphRejectsBadTokens(t *testing.T) {
	t.Parallel()
	a := startSim(t, TenantSpec{}, TenantSpec{})
	parts := strings.Split(a.token, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	tests := []struct {
		name, token, code, msg string
	}{
		{"missing", "", codeInvalidToken, "Access token is empty."},
		{"malformed", "not-a-jwt", codeInvalidToken, "CompactToken parsing failed with error code: 80049217"},
		{"bad signature", tampered, codeInvalidToken, "Access token validation failure."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.doToken(tc.token, "GET", "/users", nil)
			require.Equal(t, 401, r.status)
			require.Equal(t, tc.code, r.errCode())
			require.Equal(t, tc.msg, r.errMessage())
			inner := r.body["error"].(map[string]any)["innerError"].(map[string]any)
			require.NotEmpty(t, inner["request-id"])
			require.NotEmpty(t, inner["date"])
		})
	}
}

func TestGraphTokenExpiryAndTenantBinding(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 3}, TenantSpec{Users: 5})
	second := s.srv.Tenants()[1]
	tok2 := s.fetchToken(second.Info())
	// The token's tid picks the tenant, as in Graph.
	r := s.doToken(tok2, "GET", "/users?$select=id", nil)
	require.Equal(t, 200, r.status)
	require.Len(t, r.values(), 5)
	r = s.do("GET", "/users?$select=id", nil)
	require.Len(t, r.values(), 3)

	s.clock.Advance(time.Hour)
	r = s.do("GET", "/users", nil)
	require.Equal(t, 401, r.status)
	require.Equal(t, "Lifetime validation failed, the token is expired.", r.errMessage())
}
