package graphsim

import (
	"fmt"
	"testing"

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
