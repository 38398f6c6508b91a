package graphsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestThrottleWrites(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Limits: Limits{WritesPerMinute: 60, Burst: 2}})
	require.Equal(t, 201, s.do("POST", "/users", newUserBody(s, "a")).status)
	require.Equal(t, 201, s.do("POST", "/users", newUserBody(s, "b")).status)
	r := s.do("POST", "/users", newUserBody(s, "c"))
	require.Equal(t, 429, r.status)
	require.Equal(t, "1", r.header.Get("Retry-After"))
	require.Equal(t, codeTooManyRequests, r.errCode())
	// Reads have their own budget.
	require.Equal(t, 200, s.do("GET", "/users", nil).status)
	// The injectable clock refills the bucket.
	s.clock.Advance(time.Second)
	require.Equal(t, 201, s.do("POST", "/users", newUserBody(s, "c")).status)

	st := s.srv.Stats(s.ten.ID())
	require.Equal(t, Stats{Requests: 5, Reads: 1, Writes: 4, Throttled: 1, Tokens: 1}, st)

	require.NoError(t, s.srv.SetLimits(s.ten.ID(), Limits{WritesPerMinute: -1}))
	for i := range 10 {
		require.Equal(t, 201, s.do("POST", "/users", newUserBody(s, "n"+string(rune('a'+i)))).status)
	}
	require.Error(t, s.srv.SetLimits("nope", Limits{}))
	require.Error(t, s.srv.SetLimits(s.ten.ID(), Limits{FaultRate: 2}))
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Limits: Limits{FaultRate: 1}})
	for range 10 {
		r := s.do("GET", "/users", nil)
		require.Contains(t, []int{500, 503, 504}, r.status)
		require.NotEmpty(t, r.errCode())
	}
	require.EqualValues(t, 10, s.srv.Stats(s.ten.ID()).Faults)
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 4})
	c := s.srv.HTTPClient()
	base := s.srv.BaseURL() + "/_sim/tenants/" + s.ten.ID()

	req, err := http.NewRequest("PUT", base+"/limits", strings.NewReader(`{"writes_per_minute":1,"burst":1,"latency":"1ms","fault_rate":0}`))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, Limits{WritesPerMinute: 1, ReadsPerMinute: DefaultReadsPerMinute, Burst: 1, Latency: time.Millisecond}, s.ten.Limits())

	require.Equal(t, 201, s.do("POST", "/users", newUserBody(s, "a")).status)
	require.Equal(t, 429, s.do("POST", "/users", newUserBody(s, "b")).status)

	var st Stats
	getJSON(t, c, base+"/stats", &st)
	require.EqualValues(t, 1, st.Throttled)
	var all []map[string]any
	getJSON(t, c, s.srv.BaseURL()+"/_sim/tenants", &all)
	require.Len(t, all, 1)
	require.EqualValues(t, 5, all[0]["users"])
	require.Equal(t, s.ten.ID(), all[0]["tenant_id"])

	req, _ = http.NewRequest("PUT", base+"/limits", strings.NewReader(`{"fault_rate":7}`))
	resp, err = c.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 400, resp.StatusCode)
	resp, err = c.Get(s.srv.BaseURL() + "/_sim/tenants/nope/stats")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 404, resp.StatusCode)
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	require.NoError(t, json.Unmarshal(b, v))
}

func TestUnauthorizedRevokesAccess(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	require.Equal(t, 200, s.do("GET", "/users", nil).status) // a token is issued before the revocation
	require.NoError(t, s.srv.SetLimits(s.ten.ID(), Limits{Unauthorized: true}))
	r := s.do("GET", "/users", nil)
	require.Equal(t, 401, r.status)
	require.Equal(t, codeInvalidToken, r.errCode())
	in := s.ten.Info()
	status, body := s.tokenRequest(in.ID, url.Values{"grant_type": {"client_credentials"}, "client_id": {in.ClientID},
		"client_secret": {in.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	require.Equal(t, 401, status, "%s", body)
	require.Contains(t, string(body), "invalid_client")

	require.NoError(t, s.srv.SetLimits(s.ten.ID(), Limits{}))
	require.Equal(t, 200, s.do("GET", "/users", nil).status)
}
