package graphsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scaleUsers is the product's largest configuration.
const (
	scaleUsers  = 300_000
	scaleGroups = 5_000
)

// TestScalePaging seeds a full-size tenant and reads it completely through
// list paging and a delta round, as the reader does on its first cycle.
// It logs timings but asserts none.
func TestScalePaging(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	users, groups := scaleUsers, scaleGroups
	if raceEnabled {
		users, groups = 20_000, 300
	}
	t0 := time.Now()
	s := startSim(t, TenantSpec{Users: users, Groups: groups, Seed: 42})
	t.Logf("seeded %d users, %d groups in %v", users, groups, time.Since(t0))
	require.Equal(t, users, s.ten.UserCount())
	require.Equal(t, groups, s.ten.GroupCount())

	t0 = time.Now()
	n, pages := 0, 0
	next := s.srv.GraphURL() + "/users?$top=999&$select=id,displayName,userPrincipalName,accountEnabled,department"
	for next != "" {
		r := s.do("GET", next, nil)
		require.Equal(t, 200, r.status)
		n += len(r.values())
		pages++
		next = r.str("@odata.nextLink")
	}
	require.Equal(t, users, n)
	el := time.Since(t0)
	t.Logf("listed %d users in %d pages in %v (%.0f pages/s)", n, pages, el, float64(pages)/el.Seconds())

	t0 = time.Now()
	items, link := s.drainDelta(s.srv.GraphURL()+"/users/delta?$select=id,displayName", "Prefer: odata.maxpagesize=999")
	require.Len(t, items, users)
	t.Logf("delta round of %d users in %v", len(items), time.Since(t0))
	items, _ = s.drainDelta(link)
	require.Empty(t, items)
}

// benchTenant is shared by the benchmarks: seeding costs seconds.
func benchSim(b *testing.B, users, groups int) (*Server, *Tenant) {
	b.Helper()
	srv, err := Start(context.Background(), Options{Tenants: []TenantSpec{{Users: users, Groups: groups, Seed: 42,
		Limits: Limits{ReadsPerMinute: -1, WritesPerMinute: -1}}}})
	require.NoError(b, err)
	b.Cleanup(func() { _ = srv.Close() })
	return srv, srv.Tenants()[0]
}

func BenchmarkSeed300k(b *testing.B) {
	for b.Loop() {
		srv, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{Users: scaleUsers, Groups: scaleGroups, Seed: 42}}})
		require.NoError(b, err)
		require.NoError(b, srv.Close())
	}
}

// inProcess runs one Graph request through the router, without HTTP.
func inProcess(srv *Server, t *Tenant, method, path, query string) *response {
	rc := &reqCtx{ctx: context.Background(), s: srv, t: t, app: t.info.ClientID, method: method,
		header: http.Header{}, now: time.Now(), reqID: "r", clientReqID: "c"}
	rc.setPath(path, query)
	return srv.admitAndRoute(rc)
}

// BenchmarkListUsersPage999 measures one full page (999 users, default
// properties) of a 300k-user tenant, rendered in process.
func BenchmarkListUsersPage999(b *testing.B) {
	srv, ten := benchSim(b, scaleUsers, 0)
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		r := inProcess(srv, ten, "GET", "/users", "$top=999")
		bytes = len(r.body)
	}
	b.ReportMetric(float64(bytes), "bytes/page")
}

// BenchmarkListUsersPagingHTTPS pages through all 300k users over HTTPS
// with the default property set; one op is the whole walk. The client only
// extracts the nextLink, so the figure is the server's.
func BenchmarkListUsersPagingHTTPS(b *testing.B) {
	srv, ten := benchSim(b, scaleUsers, 0)
	s := &sim{t: b, srv: srv, ten: ten}
	s.token = s.fetchToken(ten.Info())
	pages := 0
	for b.Loop() {
		next := srv.GraphURL() + "/users?$top=999"
		for next != "" {
			req, err := http.NewRequest("GET", next, nil)
			require.NoError(b, err)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := srv.HTTPClient().Do(req)
			require.NoError(b, err)
			var page struct {
				NextLink string `json:"@odata.nextLink"`
			}
			raw, err := io.ReadAll(resp.Body)
			require.NoError(b, err)
			require.NoError(b, resp.Body.Close())
			require.Equal(b, 200, resp.StatusCode)
			if i := bytes.Index(raw, []byte(`"value":`)); i > 0 {
				raw = append(raw[:i:i], `"value":[]}`...)
			}
			require.NoError(b, json.Unmarshal(raw, &page))
			next = page.NextLink
			pages++
		}
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkUserDeltaPage measures one initial delta page of 999 users.
func BenchmarkUserDeltaPage(b *testing.B) {
	srv, ten := benchSim(b, scaleUsers, 0)
	b.ReportAllocs()
	for b.Loop() {
		rc := &reqCtx{ctx: context.Background(), s: srv, t: ten, app: ten.info.ClientID, method: "GET",
			header: http.Header{"Prefer": {"odata.maxpagesize=999"}}, now: time.Now(), reqID: "r", clientReqID: "c"}
		rc.setPath("/users/delta", "")
		srv.admitAndRoute(rc)
	}
}

// BenchmarkFilterScan300k runs a $filter that matches nothing, so every
// request scans all 300k users.
func BenchmarkFilterScan300k(b *testing.B) {
	srv, ten := benchSim(b, scaleUsers, 0)
	b.ReportAllocs()
	for b.Loop() {
		r := inProcess(srv, ten, "GET", "/users", "$filter=startswith(displayName,'zzzz')")
		if r.status != 200 {
			b.Fatalf("status %d: %s", r.status, r.body)
		}
	}
}

// BenchmarkCreateUser measures POST /users in process.
func BenchmarkCreateUser(b *testing.B) {
	srv, ten := benchSim(b, 0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rc := &reqCtx{ctx: context.Background(), s: srv, t: ten, app: ten.info.ClientID, method: "POST",
			header: http.Header{}, now: time.Now(), reqID: "r", clientReqID: "c",
			body: []byte(`{"accountEnabled":true,"displayName":"u","mailNickname":"u","userPrincipalName":"u` +
				itoa(i) + `@contoso.example","passwordProfile":{"password":"x"}}`)}
		rc.setPath("/users", "")
		if r := srv.admitAndRoute(rc); r.status != 201 {
			b.Fatalf("status %d", r.status)
		}
	}
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}
