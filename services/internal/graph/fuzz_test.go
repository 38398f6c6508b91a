package graph_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// hostile answers every Graph request (any host but the authority's token
// and metadata endpoints) with a fixed status and body; {{base}} in the
// body is the Graph service root, so a body can point @odata.nextLink at
// itself. It records a bearer token sent to a host other than Graph's.
type hostile struct {
	base      http.RoundTripper
	graphHost string
	graphURL  string
	status    atomic.Int32
	body      atomic.Pointer[[]byte]
	requests  atomic.Int64
	sent      atomic.Pointer[[]byte] // the last request body
	mu        sync.Mutex
	leaked    []string
}

func (h *hostile) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == h.graphHost && !strings.HasPrefix(req.URL.Path, "/v1.0") {
		return h.base.RoundTrip(req) // OAuth: graphsim's authority
	}
	if req.Body != nil {
		sent, _ := io.ReadAll(req.Body)
		_ = req.Body.Close()
		h.sent.Store(&sent)
	}
	h.requests.Add(1)
	if req.URL.Host != h.graphHost && req.Header.Get("Authorization") != "" {
		h.mu.Lock()
		h.leaked = append(h.leaked, req.URL.String())
		h.mu.Unlock()
	}
	body := bytes.ReplaceAll(*h.body.Load(), []byte("{{base}}"), []byte(h.graphURL))
	return &http.Response{
		StatusCode: int(h.status.Load()), Status: http.StatusText(int(h.status.Load())),
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// hostileClient is a graph.Client whose Graph is h (tokens from graphsim).
func hostileClient(t testing.TB) (*graph.Client, *hostile) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := graphsim.Start(ctx, graphsim.Options{Tenants: []graphsim.TenantSpec{{Seed: 1}}})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		_ = srv.Close() // no require: f's methods are off limits once fuzzing runs
	})
	base := srv.HTTPClient()
	h := &hostile{base: base.Transport, graphURL: srv.GraphURL()}
	h.graphHost = strings.TrimPrefix(strings.SplitN(strings.TrimPrefix(srv.GraphURL(), "https://"), "/", 2)[0], "")
	empty := []byte(`{"value":[]}`)
	h.body.Store(&empty)
	h.status.Store(200)
	info := srv.Tenants()[0].Info()
	c, err := graph.New(ctx, graph.Config{TenantID: info.ID, ClientID: info.ClientID, ClientSecret: graph.Secret(info.ClientSecret),
		AuthorityURL: srv.AuthorityURL(), GraphURL: srv.GraphURL(), HTTPClient: &http.Client{Transport: h},
		MaxRetries: -1, Timeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, h
}

var hostileStatuses = []int{200, 200, 200, 201, 204, 400, 401, 403, 404, 409, 410, 412, 429, 500, 503}

// hostileCall runs adapter operation op against the current answer.
func hostileCall(ctx context.Context, c *graph.Client, op byte) error {
	switch op % 8 {
	case 0:
		return c.ListUsers(ctx, graph.Query{Select: []string{"id", "displayName", "accountEnabled"}}, func(graph.User) error { return nil })
	case 1:
		_, err := c.UsersDeltaPage(ctx, graph.DeltaRequest{Select: []string{"id", "displayName"}})
		return err
	case 2:
		_, err := c.GroupsDeltaPage(ctx, graph.DeltaRequest{Select: []string{"id", "members"}})
		return err
	case 3:
		_, err := c.GetUser(ctx, "00000000-0000-0000-0000-000000000001")
		return err
	case 4:
		_, err := c.FindUsers(ctx, graph.Query{Filter: "mail eq 'a@b.example'"})
		return err
	case 5:
		_, err := c.ListUserMemberIDs(ctx, "00000000-0000-0000-0000-000000000002")
		return err
	case 6:
		_, err := c.UsersDelta(ctx, graph.DeltaRequest{}, func(graph.DeltaPage[graph.User]) error { return nil })
		return err
	default:
		_, err := c.Batch(ctx, []graph.BatchRequest{graph.UpdateUserRequest("1", "00000000-0000-0000-0000-000000000003", graph.Attributes{"jobTitle": "x"})})
		return err
	}
}

// FuzzHostileGraphResponses sends arbitrary Graph answers (malformed
// JSON, wrong types, enormous values, links that loop or leave Graph's
// host) through the real SDK pipeline and the adapter's conversions:
// every call returns (an error or a value) without panicking, well
// before its deadline, and no bearer token goes to another host.
func FuzzHostileGraphResponses(f *testing.F) {
	seeds := []string{
		`{"value":[{"id":"u1","displayName":"A","accountEnabled":true}]}`,
		`{"value":[`, `{"value":"notarray"}`, `null`, `[]`, ``, `{`, `{"value":[null,1,"x",[]]}`,
		`{"value":[{"id":123,"accountEnabled":"yes","displayName":{"a":1},"businessPhones":"x"}]}`,
		`{"value":[{"id":"u","displayName":"` + strings.Repeat("x", 1<<20) + `"}]}`,
		`{"value":[{"id":"u","employeeHireDate":"not a date","createdDateTime":99e999}]}`,
		`{"value":[],"@odata.nextLink":"{{base}}/users?$skiptoken=loop"}`,
		`{"value":[{"id":"u"}],"@odata.nextLink":"{{base}}/users/delta?$skiptoken=loop"}`,
		`{"value":[],"@odata.nextLink":"https://evil.example/v1.0/users?$skiptoken=x"}`,
		`{"value":[],"@odata.nextLink":"::not a url"}`,
		`{"value":[],"@odata.deltaLink":5}`,
		`{"value":[{"id":"g","members@delta":[{"id":"m","@removed":{"reason":7}},{"@odata.type":"#microsoft.graph.user"}]}],"@odata.deltaLink":"{{base}}/groups/delta?$deltatoken=x"}`,
		`{"value":[{"id":"u","@removed":"changed"}]}`,
		`{"error":{"code":"resyncRequired","message":"gone"}}`,
		`{"error":{"code":12,"message":null,"innerError":"x"}}`,
		`{"responses":[{"id":"1","status":200,"body":"notjson"},{"id":"1","status":"x"}]}`,
		`{"responses":[{"id":"9","status":204,"headers":{"Retry-After":"-5"}}]}`,
		`{"id":"u","accountEnabled":true,"otherMails":[1,2],"manager":{"id":[]}}`,
		`{"value":[` + strings.Repeat(`{"id":"u"},`, 5000) + `{"id":"last"}]}`,
	}
	for i, s := range seeds {
		f.Add(byte(i), byte(i%len(hostileStatuses)), []byte(s))
	}
	c, h := hostileClient(f)
	f.Fuzz(func(t *testing.T, op, st byte, body []byte) {
		h.status.Store(int32(hostileStatuses[int(st)%len(hostileStatuses)]))
		h.body.Store(&body)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- hostileCall(ctx, c, op) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(40 * time.Second):
			t.Fatalf("op %d ignored its deadline on status %d, body %q", op%8, h.status.Load(), body[:min(len(body), 200)])
		}
		require.False(t, errors.Is(err, context.DeadlineExceeded), "op %d did not return: %v", op%8, err)
		h.mu.Lock()
		leaked := h.leaked
		h.mu.Unlock()
		require.Empty(t, leaked, "bearer token sent outside Graph")
	})
}

// TestHostileGraphResponses pins what the fuzz target only bounds: a
// nextLink that loops ends the listing with an error instead of paging
// forever, and 410 on a delta link is ErrDeltaExpired (the reader then
// re-reads in full, services/reader/expired_test.go).
func TestHostileGraphResponses(t *testing.T) {
	c, h := hostileClient(t)
	ctx := testCtx(t)
	for _, body := range []string{
		`{"value":[],"@odata.nextLink":"{{base}}/users?$skiptoken=loop"}`,
		`{"value":[{"id":"u1"}],"@odata.nextLink":"{{base}}/users?$skiptoken=loop"}`,
	} {
		b := []byte(body)
		h.body.Store(&b)
		h.requests.Store(0)
		err := c.ListUsers(ctx, graph.Query{}, func(graph.User) error { return nil })
		require.ErrorIs(t, err, graph.ErrLinkLoop, body)
		require.Less(t, h.requests.Load(), int64(5), "the loop is caught at once")
		_, err = c.UsersDelta(ctx, graph.DeltaRequest{}, func(graph.DeltaPage[graph.User]) error { return nil })
		require.ErrorIs(t, err, graph.ErrLinkLoop, body)
	}
	b := []byte(`{"error":{"code":"resyncRequired","message":"Resync required."}}`)
	h.body.Store(&b)
	h.status.Store(410)
	_, err := c.UsersDeltaPage(ctx, graph.DeltaRequest{Link: h.graphURL + "/users/delta?$deltatoken=old"})
	require.ErrorIs(t, err, graph.ErrDeltaExpired)
}
