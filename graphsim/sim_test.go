package graphsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sim is a started server plus a client authenticated to its first tenant.
type sim struct {
	t     testing.TB
	srv   *Server
	clock *clock
	ten   *Tenant
	token string
}

// startSim starts a simulator with the given tenants (one empty tenant by
// default) and fetches a token for the first.
func startSim(t *testing.T, specs ...TenantSpec) *sim {
	t.Helper()
	c := newClock()
	srv, err := Start(context.Background(), Options{Tenants: specs, Now: c.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	s := &sim{t: t, srv: srv, clock: c, ten: srv.Tenants()[0]}
	s.token = s.fetchToken(s.ten.Info())
	return s
}

func (s *sim) fetchToken(in TenantInfo) string {
	s.t.Helper()
	status, body := s.tokenRequest(in.ID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {in.ClientID},
		"client_secret": {in.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"},
	})
	require.Equal(s.t, 200, status, "%s", body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(s.t, json.Unmarshal(body, &tr))
	return tr.AccessToken
}

func (s *sim) tokenRequest(tenant string, form url.Values) (int, []byte) {
	s.t.Helper()
	resp, err := s.srv.HTTPClient().PostForm(s.srv.AuthorityURL()+tenant+"/oauth2/v2.0/token", form)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, b
}

// res is a decoded Graph response.
type res struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a Graph request; body may be nil, a string or any JSON value.
// Extra headers come as "Name: value" strings.
func (s *sim) do(method, path string, body any, headers ...string) res {
	s.t.Helper()
	return s.doToken(s.token, method, path, body, headers...)
}

func (s *sim) doToken(token, method, path string, body any, headers ...string) res {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(raw)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = s.srv.GraphURL() + path
	}
	req, err := http.NewRequest(method, target, rd)
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := s.srv.HTTPClient().Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	r := res{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(s.t, json.Unmarshal(raw, &r.body), "%s", raw)
	}
	return r
}

// errCode returns error.code of an error body.
func (r res) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r res) errMessage() string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (r res) values() []map[string]any {
	vs, _ := r.body["value"].([]any)
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i], _ = v.(map[string]any)
	}
	return out
}

func (r res) str(key string) string {
	v, _ := r.body[key].(string)
	return v
}

// newUserBody is a valid POST /users body.
func newUserBody(s *sim, nick string) map[string]any {
	return map[string]any{
		"accountEnabled": true, "displayName": nick, "mailNickname": nick,
		"userPrincipalName": nick + "@" + s.ten.Domain(),
		"passwordProfile":   map[string]any{"forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d"},
	}
}

// createUser creates a user over HTTP and returns its id.
func (s *sim) createUser(nick string) string {
	s.t.Helper()
	r := s.do("POST", "/users", newUserBody(s, nick))
	require.Equal(s.t, 201, r.status, "%s", r.raw)
	return r.str("id")
}

func (s *sim) createGroup(name string) string {
	s.t.Helper()
	r := s.do("POST", "/groups", map[string]any{
		"displayName": name, "mailEnabled": false, "mailNickname": name, "securityEnabled": true,
	})
	require.Equal(s.t, 201, r.status, "%s", r.raw)
	return r.str("id")
}
