package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
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

// Batch sends up to MaxBatch requests in one $batch through the SDK's
// request adapter (auth, retry of the envelope, telemetry); the body is
// written and the answer read with encoding/json (batchjson.go). The
// returned error is about the envelope only (auth, 429 after retries,
// malformed batch or answer); per-item failures are in each BatchResult.
func (c *Client) Batch(ctx context.Context, reqs []BatchRequest) ([]BatchResult, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > MaxBatch {
		return nil, fmt.Errorf("batch: %d requests, at most %d allowed", len(reqs), MaxBatch)
	}
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
		if ids[i] == "" {
			ids[i] = strconv.Itoa(i + 1)
		}
	}
	content, err := c.encodeBatch(reqs, ids)
	if err != nil {
		return nil, err
	}
	info := abs.NewRequestInformation()
	info.Method = abs.POST
	info.SetUri(c.batchURL)
	info.Headers.Add("Content-Type", "application/json")
	info.Headers.Add("Accept", "application/json")
	info.Content = content
	buf := batchBufs.Get().(*[]byte)
	body, err := c.sendRaw(ctx, info, *buf)
	if err != nil {
		batchBufs.Put(buf)
		return nil, wrap("send batch", err)
	}
	out, err := decodeBatch(body, ids, time.Now())
	if cap(body) <= maxPooledBody {
		*buf = body[:0]
		batchBufs.Put(buf)
	}
	if err != nil {
		return nil, wrap("send batch", err)
	}
	return out, nil
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
