package graph_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// answer makes h answer every Graph request with status and body.
func answer(h *hostile, status int, body string) {
	b := []byte(body)
	h.body.Store(&b)
	h.status.Store(int32(status))
}

// TestBatchWireFormat pins the $batch body the adapter writes itself:
// ids, upper-case methods, URLs relative to the service root, a
// content-type header for a body only, the body as given, dependsOn.
func TestBatchWireFormat(t *testing.T) {
	c, h := hostileClient(t)
	answer(h, 200, `{"responses":[{"id":"1","status":204},{"id":"p","status":204},{"id":"3","status":204}]}`)
	_, err := c.Batch(testCtx(t), []graph.BatchRequest{
		{Method: "get", URL: "users?$filter=mail eq 'a@b.example'&$select=id"},
		{ID: "p", Method: "PATCH", URL: "/users/u 1", Body: graph.Attributes{"jobTitle": nil, "n": 2, "s": "x\"<y>"},
			Headers: map[string]string{"If-Match": "*"}},
		{Method: "DELETE", URL: "/groups/g/members/m/$ref", DependsOn: []string{"p"}},
	})
	require.NoError(t, err)
	var env struct {
		Requests []map[string]any `json:"requests"`
	}
	require.NoError(t, json.Unmarshal(*h.sent.Load(), &env), "%s", *h.sent.Load())
	require.Equal(t, []map[string]any{
		{"id": "1", "method": "GET", "url": "/users?$filter=mail eq 'a@b.example'&$select=id"},
		{"id": "p", "method": "PATCH", "url": "/users/u%201",
			"headers": map[string]any{"content-type": "application/json", "if-match": "*"},
			"body":    map[string]any{"jobTitle": nil, "n": 2.0, "s": "x\"<y>"}},
		{"id": "3", "method": "DELETE", "url": "/groups/g/members/m/$ref", "dependsOn": []any{"p"}},
	}, env.Requests)

	_, err = c.Batch(testCtx(t), []graph.BatchRequest{{Method: "POST", URL: "/users", Body: []string{"not an object"}}})
	require.ErrorContains(t, err, "batch request 1: marshal body: []string is not a JSON object")
}

// TestBatchAnswers: results come back in request order whatever the
// answer's order; an item Graph left out, or answered with a status that
// is none, is a transient item error; a non-JSON item body is no Body.
func TestBatchAnswers(t *testing.T) {
	c, h := hostileClient(t)
	answer(h, 200, `{"responses":[
		{"id":"b","status":429,"headers":{"Retry-After":"7","request-id":"r-b"},"body":{"error":{"code":"TooManyRequests","message":"slow down"}}},
		{"id":"a","status":201,"headers":{"Content-Type":"application/json"},"body":{"id":"new-id","n":1}},
		{"id":"d","status":200,"headers":{"Content-Type":"application/octet-stream"},"body":"aGVsbG8="},
		{"id":"e","status":0},
		{"id":"zz","status":200}]}`)
	reqs := []graph.BatchRequest{}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		reqs = append(reqs, graph.BatchRequest{ID: id, Method: "GET", URL: "/users/" + id})
	}
	res, err := c.Batch(testCtx(t), reqs)
	require.NoError(t, err)
	require.Len(t, res, 5)
	for i, r := range res {
		require.Equal(t, reqs[i].ID, r.ID)
	}
	require.Equal(t, graph.BatchResult{ID: "a", Status: 201, Headers: map[string]string{"Content-Type": "application/json"},
		Body: map[string]any{"id": "new-id", "n": 1.0}}, res[0])

	require.Equal(t, 429, res[1].Status)
	require.Equal(t, 7*time.Second, res[1].RetryAfter)
	require.Equal(t, &graph.Error{Status: 429, Code: "TooManyRequests", Message: "slow down", RetryAfter: 7 * time.Second, RequestID: "r-b"}, res[1].Err)
	require.True(t, graph.IsThrottled(res[1].Err))

	require.Equal(t, "batchItemMissing", res[2].Err.Code)
	require.True(t, graph.IsTransient(res[2].Err))

	require.Equal(t, http.StatusOK, res[3].Status)
	require.Nil(t, res[3].Body)
	require.Nil(t, res[3].Err)

	require.Zero(t, res[4].Status)
	require.Equal(t, "batchItemMalformed", res[4].Err.Code)
	require.True(t, graph.IsTransient(res[4].Err))

	// Answers that are no batch answer fail the call, with the reason.
	for body, want := range map[string]string{
		`{"responses":[{"id":"a","status":200},{"id":"a","status":201}]}`: `item "a" answered twice`,
		`{"responses":[{"id":"a","status":"200"}]}`:                       "property status: want a number, got a string",
		`{"responses":[{"id":"a","status":200.5}]}`:                       "want an integer",
		`{"responses":{"id":"a"}}`:                                        "property responses: want an array",
		`{"responses":[7]}`:                                               "item 0: not a JSON object",
		`{"responses":[{"id":"a","status":200,"headers":{"x":1}}]}`:       "property headers.x: want a string, got a number",
		`[{"id":"a"}]`:            "not a JSON object",
		`null`:                    "not a JSON object",
		`{"responses":[{"id":"a"`: "unexpected end of JSON input",
		``:                        "no object body",
	} {
		answer(h, 200, body)
		_, err := c.Batch(testCtx(t), reqs[:1])
		require.ErrorContains(t, err, "send batch", body)
		require.ErrorContains(t, err, want, body)
	}
	answer(h, 503, `{"error":{"code":"serviceNotAvailable","message":"later"}}`)
	_, err = c.Batch(testCtx(t), reqs[:1])
	var ge *graph.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, graph.Error{Status: 503, Code: "serviceNotAvailable", Message: "later"}, *ge)
}

// TestDeltaPageDecoding: a property Graph sends as null is in Attributes
// with a nil value, an absent one is absent; annotations are dropped;
// members@delta moves to Members; entries the reader cannot apply (no
// id, a typed property of the wrong type) fail the page.
func TestDeltaPageDecoding(t *testing.T) {
	c, h := hostileClient(t)
	ctx := testCtx(t)
	answer(h, 200, `{"@odata.context":"ctx","value":[
		{"@odata.type":"#microsoft.graph.user","id":"u1","displayName":"Ann","jobTitle":null,"accountEnabled":false,
		 "employeeOrgData":{"division":"Eng","costCenter":null},"businessPhones":[],"extension_x_badge":7},
		{"id":"u2","@removed":{"reason":"changed"}},{"id":"u3","@removed":{}}],
		"@odata.nextLink":"https://elsewhere.example/next"}`)
	page, err := c.UsersDeltaPage(ctx, graph.DeltaRequest{})
	require.NoError(t, err)
	no := false
	require.Len(t, page.Objects, 1)
	props, err := page.Objects[0].Properties()
	require.NoError(t, err)
	require.Equal(t, graph.Attributes{
		"id": "u1", "displayName": "Ann", "jobTitle": nil, "accountEnabled": false,
		"employeeOrgData": map[string]any{"division": "Eng", "costCenter": nil}, "businessPhones": []any{}, "extension_x_badge": 7.0,
	}, props)
	page.Objects[0].Raw = nil
	require.Equal(t, graph.DeltaPage[graph.User]{
		Objects:  []graph.User{{ID: "u1", DisplayName: "Ann", AccountEnabled: &no}},
		Removed:  []graph.Removed{{ID: "u2", Reason: "changed"}, {ID: "u3", Reason: "deleted"}},
		NextLink: "https://elsewhere.example/next",
	}, page)

	answer(h, 200, `{"value":[{"id":"g1","displayName":"G","groupTypes":["Unified"],"securityEnabled":true,"deletedDateTime":"2024-05-01T10:00:00Z",
		"members@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1"},{"@odata.type":"#microsoft.graph.user","id":"m2","@removed":{"reason":"deleted"}}]}],
		"@odata.deltaLink":"dl"}`)
	gp, err := c.GroupsDeltaPage(ctx, graph.DeltaRequest{})
	require.NoError(t, err)
	require.Len(t, gp.Objects, 1)
	g := gp.Objects[0]
	require.Equal(t, []string{"Unified"}, g.GroupTypes)
	require.True(t, *g.SecurityEnabled)
	require.Nil(t, g.MailEnabled)
	require.Equal(t, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), g.DeletedDateTime.UTC())
	require.Equal(t, []graph.MemberChange{{ID: "m1", Type: "#microsoft.graph.user"}, {ID: "m2", Type: "#microsoft.graph.user", Removed: true}}, g.Members)
	require.NotContains(t, string(g.Raw), "members@delta")
	require.Equal(t, "dl", gp.DeltaLink)

	for body, want := range map[string]string{
		`{"value":[{"displayName":"no id"}]}`:               "entry 0: no id",
		`{"value":[{"id":"u","accountEnabled":"yes"}]}`:     "property accountEnabled: want a boolean, got a string",
		`{"value":[{"id":"u","deletedDateTime":"monday"}]}`: "property deletedDateTime",
		`{"value":[null]}`:                                  "entry 0: not a JSON object",
		`{"value":{"id":"u"}}`:                              "property value: want an array, got an object",
		`{"value":[],"@odata.nextLink":5}`:                  "property @odata.nextLink: want a string, got a number",
		`null`:                                              "not a JSON object",
		``:                                                  "no object body",
	} {
		answer(h, 200, body)
		_, err := c.UsersDeltaPage(ctx, graph.DeltaRequest{})
		require.ErrorContains(t, err, "users delta", body)
		require.ErrorContains(t, err, want, body)
	}
	// Names are exact, as Graph's and the SDK's: "Value" is not the page.
	answer(h, 200, `{"Value":[{"id":"u"}],"@odata.deltaLink":"d"}`)
	page, err = c.UsersDeltaPage(ctx, graph.DeltaRequest{})
	require.NoError(t, err)
	require.Equal(t, graph.DeltaPage[graph.User]{DeltaLink: "d"}, page)

	answer(h, 200, `{"value":[{"id":"g","groupTypes":"Unified"}]}`)
	_, err = c.GroupsDeltaPage(ctx, graph.DeltaRequest{})
	require.ErrorContains(t, err, "property groupTypes: want a list of strings, got a string")
}
