package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// MaxBatch is Graph's limit of requests in one $batch.
const MaxBatch = 20

// BatchRequest is one request inside a $batch.
type BatchRequest struct {
	// ID is unique within the batch; empty means its 1-based position.
	ID     string
	Method string // GET, POST, PATCH, PUT, DELETE
	// URL is relative to the service root: "/users/{id}", "/invitations".
	URL string
	// Body is marshalled to JSON and must be a JSON object, or nil.
	Body    any
	Headers map[string]string
	// DependsOn lists IDs that must succeed first; Graph fails this request
	// with 424 otherwise.
	DependsOn []string
}

// BatchResult is one response inside a $batch; results come back in
// request order.
type BatchResult struct {
	ID      string
	Status  int
	Headers map[string]string
	Body    map[string]any
	// RetryAfter is set for a throttled (429) or unavailable (503) item:
	// the SDK's retry handler does not look inside a $batch, so the caller
	// re-sends these items after the delay.
	RetryAfter time.Duration
	// Err is the item's failure (Status >= 400) with Graph's code.
	Err *Error
}

var methods = map[string]abs.HttpMethod{
	http.MethodGet: abs.GET, http.MethodPost: abs.POST, http.MethodPatch: abs.PATCH,
	http.MethodPut: abs.PUT, http.MethodDelete: abs.DELETE,
}

// Batch sends up to MaxBatch requests in one $batch through the SDK's batch
// support. The returned error is about the envelope only (auth, 429 after
// retries, malformed batch); per-item failures are in each BatchResult.
func (c *Client) Batch(ctx context.Context, reqs []BatchRequest) ([]BatchResult, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > MaxBatch {
		return nil, fmt.Errorf("batch: %d requests, at most %d allowed", len(reqs), MaxBatch)
	}
	batch := msgraphgocore.NewBatchRequest(c.adapter)
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		info, err := c.batchInfo(r)
		if err != nil {
			return nil, fmt.Errorf("batch request %d: %w", i+1, err)
		}
		item, err := batch.AddBatchRequestStep(*info)
		if err != nil {
			return nil, fmt.Errorf("batch request %d: %w", i+1, err)
		}
		ids[i] = r.ID
		if ids[i] == "" {
			ids[i] = strconv.Itoa(i + 1)
		}
		item.SetId(&ids[i])
		if len(r.DependsOn) > 0 {
			item.SetDependsOn(r.DependsOn)
		}
	}
	// Through localBackingStore: the SDK asserts the answer to a
	// BatchResponse and panics on none (204, a scalar body).
	resp, err := batch.Send(ctx, localBackingStore{c.adapter})
	if err != nil {
		return nil, wrap("send batch", err)
	}
	out := make([]BatchResult, len(reqs))
	for i, id := range ids {
		out[i] = batchResult(id, resp.GetResponseById(id))
	}
	return out, nil
}

// batchInfo turns a BatchRequest into kiota RequestInformation with an
// absolute URL; the SDK strips the base URL back off when it builds the
// batch item.
func (c *Client) batchInfo(r BatchRequest) (*abs.RequestInformation, error) {
	method, ok := methods[strings.ToUpper(r.Method)]
	if !ok {
		return nil, fmt.Errorf("unsupported method %q", r.Method)
	}
	raw := strings.TrimSuffix(c.cfg.GraphURL, "/") + "/" + strings.TrimPrefix(r.URL, "/")
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse url %q: %w", r.URL, err)
	}
	info := abs.NewRequestInformation()
	info.Method = method
	info.SetUri(*u)
	for k, v := range r.Headers {
		info.Headers.Add(k, v)
	}
	if r.Body != nil {
		body, err := json.Marshal(r.Body)
		if err != nil {
			return nil, fmt.Errorf("marshal body: %w", err)
		}
		info.Content = body
		if !info.Headers.ContainsKey("Content-Type") {
			info.Headers.Add("Content-Type", "application/json")
		}
	}
	return info, nil
}

func batchResult(id string, item msgraphgocore.BatchItem) BatchResult {
	res := BatchResult{ID: id}
	if item == nil {
		// Graph answered without this id: treat as a transient failure.
		res.Err = &Error{Code: "batchItemMissing", Message: "no response for batch item " + id}
		return res
	}
	res.Status = int(deref(item.GetStatus()))
	res.Headers = map[string]string(item.GetHeaders())
	if body, ok := plain(map[string]any(item.GetBody())).(map[string]any); ok {
		res.Body = body
	}
	res.RetryAfter = parseRetryAfter(headerValue(res.Headers, "Retry-After"), time.Now())
	if res.Status >= 400 {
		res.Err = batchItemError(res)
	}
	return res
}

func batchItemError(res BatchResult) *Error {
	e := &Error{Status: res.Status, RetryAfter: res.RetryAfter, RequestID: headerValue(res.Headers, "request-id")}
	if ge, ok := res.Body["error"].(map[string]any); ok {
		e.Code, _ = ge["code"].(string)
		e.Message, _ = ge["message"].(string)
		if inner, ok := ge["innerError"].(map[string]any); ok && e.RequestID == "" {
			e.RequestID, _ = inner["request-id"].(string)
		}
	}
	return e
}

func headerValue(h map[string]string, key string) string {
	for k, v := range h {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
