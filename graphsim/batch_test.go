package graphsim

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBatch(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 2})
	uid := s.ten.UserIDs()[0]
	r := s.do("POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/users/" + uid + "?$select=id"},
		map[string]any{"id": "2", "method": "POST", "url": "/users", "headers": map[string]string{"Content-Type": "application/json"},
			"body": newUserBody(s, "batched")},
		map[string]any{"id": "3", "method": "GET", "url": "users/nope"},
		map[string]any{"id": "4", "method": "PATCH", "url": "/users/nope", "body": map[string]any{}, "dependsOn": []string{"3"}},
		map[string]any{"id": "5", "method": "GET", "url": "/users/$count", "headers": map[string]string{"ConsistencyLevel": "eventual"}},
		map[string]any{"id": "6", "method": "DELETE", "url": "/users/" + uid, "dependsOn": []string{"1"}},
	}})
	require.Equal(t, 200, r.status, "%s", r.raw)
	resps := r.body["responses"].([]any)
	require.Len(t, resps, 6)
	get := func(i int) map[string]any { return resps[i].(map[string]any) }
	require.EqualValues(t, 200, get(0)["status"])
	require.Equal(t, uid, get(0)["body"].(map[string]any)["id"])
	require.EqualValues(t, 201, get(1)["status"])
	require.EqualValues(t, 404, get(2)["status"])
	require.Equal(t, codeNotFound, get(2)["body"].(map[string]any)["error"].(map[string]any)["code"])
	require.EqualValues(t, 424, get(3)["status"])
	require.EqualValues(t, 200, get(4)["status"])
	require.Equal(t, "Mw==", get(4)["body"], "non-JSON bodies are base64")
	require.EqualValues(t, 204, get(5)["status"])
	require.NotContains(t, get(5), "body")
	st := s.srv.Stats(s.ten.ID())
	require.EqualValues(t, 5, st.Requests, "each executed inner request counts; the envelope and the 424 do not")
}

func TestBatchValidation(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	var many []any
	for i := range 21 {
		many = append(many, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/users"})
	}
	tests := map[string]any{
		"too many":        map[string]any{"requests": many},
		"empty":           map[string]any{"requests": []any{}},
		"not json":        "{",
		"duplicate id":    map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET", "url": "/users"}, map[string]any{"id": "1", "method": "GET", "url": "/users"}}},
		"missing url":     map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET"}}},
		"unknown depends": map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET", "url": "/users", "dependsOn": []string{"9"}}}},
	}
	for name, body := range tests {
		r := s.do("POST", "/$batch", body)
		require.Equal(t, 400, r.status, name)
		require.Equal(t, "BadRequest", r.errCode(), name)
	}
	r := s.do("POST", "/$batch", map[string]any{"requests": many})
	require.Equal(t, "Number of included requests exceeds the maximum of 20.", r.errMessage())
}

func TestBatchThrottlesInnerRequests(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Limits: Limits{WritesPerMinute: 3, Burst: 3}})
	var reqs []any
	for i := range 5 {
		reqs = append(reqs, map[string]any{"id": fmt.Sprint(i), "method": "POST", "url": "/users", "body": newUserBody(s, fmt.Sprint("u", i))})
	}
	r := s.do("POST", "/$batch", map[string]any{"requests": reqs})
	require.Equal(t, 200, r.status)
	statuses := []float64{}
	for _, x := range r.body["responses"].([]any) {
		m := x.(map[string]any)
		statuses = append(statuses, m["status"].(float64))
		if m["status"].(float64) == 429 {
			require.NotEmpty(t, m["headers"].(map[string]any)["Retry-After"])
			require.Equal(t, codeTooManyRequests, m["body"].(map[string]any)["error"].(map[string]any)["code"])
		}
	}
	require.Equal(t, []float64{201, 201, 201, 429, 429}, statuses)
	require.EqualValues(t, 2, s.srv.Stats(s.ten.ID()).Throttled)
}

// TestBatchCostsOneLatency: a $batch pays one latency draw whatever the
// number of its requests (Graph runs them concurrently), a plain request
// pays one, and a batch throttled whole pays none; throttling and counting
// stay per request.
func TestBatchCostsOneLatency(t *testing.T) {
	t.Parallel()
	const lat, jitter = 40 * time.Millisecond, 20 * time.Millisecond
	s := startSim(t, TenantSpec{Users: 3, Limits: Limits{Latency: lat, LatencyJitter: jitter, ReadsPerMinute: -1, WritesPerMinute: 6, Burst: 6}})
	var mu sync.Mutex
	var draws []time.Duration
	hook := func(d time.Duration) { mu.Lock(); draws = append(draws, d); mu.Unlock() }
	s.srv.onDelay.Store(&hook)
	taken := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		out := draws
		draws = nil
		return out
	}
	gets := func(n int) map[string]any {
		var reqs []any
		for i := range n {
			reqs = append(reqs, map[string]any{"id": fmt.Sprint(i + 1), "method": "GET", "url": "/users?$top=1"})
		}
		return map[string]any{"requests": reqs}
	}
	posts := func(prefix string, n int) map[string]any {
		var reqs []any
		for i := range n {
			reqs = append(reqs, map[string]any{"id": fmt.Sprint(i + 1), "method": "POST", "url": "/users", "body": newUserBody(s, fmt.Sprint(prefix, i))})
		}
		return map[string]any{"requests": reqs}
	}

	tests := []struct {
		name      string
		body      any
		path      string
		draws     int
		statuses  map[float64]int
		throttled int64
	}{
		{name: "20 requests", path: "/$batch", body: gets(20), draws: 1, statuses: map[float64]int{200: 20}},
		{name: "one request alone", path: "/users", draws: 1},
		{name: "writes partly throttled", path: "/$batch", body: posts("a", 8), draws: 1, statuses: map[float64]int{201: 6, 429: 2}, throttled: 2},
		{name: "writes throttled whole", path: "/$batch", body: posts("b", 3), draws: 0, statuses: map[float64]int{429: 3}, throttled: 5},
	}
	for _, tc := range tests {
		before := s.srv.Stats(s.ten.ID())
		start := time.Now()
		method := "POST"
		if tc.body == nil {
			method = "GET"
		}
		r := s.do(method, tc.path, tc.body)
		elapsed := time.Since(start)
		require.Equal(t, 200, r.status, "%s: %s", tc.name, r.raw)
		got := taken()
		require.Len(t, got, tc.draws, tc.name)
		for _, d := range got {
			require.True(t, d >= lat && d <= lat+jitter, "%s: draw %v outside latency+jitter", tc.name, d)
			require.GreaterOrEqual(t, elapsed, d, "%s: the call waited its draw", tc.name)
		}
		if tc.statuses != nil {
			seen := map[float64]int{}
			for _, x := range r.body["responses"].([]any) {
				seen[x.(map[string]any)["status"].(float64)]++
			}
			require.Equal(t, tc.statuses, seen, tc.name)
			require.EqualValues(t, before.Batches+1, s.srv.Stats(s.ten.ID()).Batches, tc.name)
		}
		require.EqualValues(t, tc.throttled, s.srv.Stats(s.ten.ID()).Throttled, tc.name)
	}
}

// TestBatchesInFlight: Stats keeps the peak of $batch calls served at once.
// The latency hook holds three calls until all three are in, so the peak is
// known without timing.
func TestBatchesInFlight(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 1, Limits: Limits{Latency: time.Millisecond}})
	const n = 3
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	hook := func(time.Duration) { arrived.Done(); <-release }
	s.srv.onDelay.Store(&hook)
	var calls sync.WaitGroup
	for range n {
		calls.Go(func() {
			r := s.do("POST", "/$batch", map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET", "url": "/users"}}})
			require.Equal(t, 200, r.status)
		})
	}
	arrived.Wait()
	close(release)
	calls.Wait()
	st := s.srv.Stats(s.ten.ID())
	require.EqualValues(t, n, st.Batches)
	require.EqualValues(t, n, st.MaxBatchesInFlight)
}
