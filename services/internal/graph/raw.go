package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// The hot paths (delta pages, $batch) send through the SDK's request
// adapter like every call (auth, retry with Retry-After, redirect,
// telemetry, ODataError mapping) but take the body as bytes and decode it
// with encoding/json: the SDK's JSON parse nodes build a generic tree, then
// a model (a ~130-entry field map per user), which the adapter rendered
// back to JSON for the attribute bag; that was a quarter of an all-in-one
// process's CPU in an initial cycle (BENCHMARKS.md, issue 5).

var odataErrorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// sendRaw sends info through the SDK adapter and returns the answer's body
// undecoded, read into buf[:0] when it fits (the caller may pass a pooled
// buffer if nothing it keeps points into the body); a success without a
// body (204, empty) is errNoBody.
func (c *Client) sendRaw(ctx context.Context, info *abs.RequestInformation, buf []byte) ([]byte, error) {
	// kiota-http-go hands the response to this handler instead of reading
	// it with io.ReadAll (a buffer regrown from 512 bytes for every answer:
	// 5% of an all-in-one process's allocated bytes in an initial cycle);
	// a status >= 400 becomes the error the adapter would have made.
	var body []byte
	h := abs.NewRequestHandlerOption()
	h.SetResponseHandler(func(response any, em abs.ErrorMappings) (any, error) {
		resp, ok := response.(*http.Response)
		if !ok || resp == nil {
			return nil, fmt.Errorf("graph: no HTTP response (%T)", response)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode >= 400 {
			return nil, c.failedResponse(resp, em)
		}
		if resp.StatusCode == http.StatusNoContent {
			return nil, nil
		}
		var err error
		body, err = readBody(resp, buf)
		return nil, err
	})
	info.AddRequestOptions([]abs.RequestOption{h})
	if _, err := c.adapter.SendPrimitive(ctx, info, "[]byte", odataErrorMapping); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: %s %s", errNoBody, info.Method.String(), info.UrlTemplate)
	}
	return body, nil
}

// readBody reads resp's body into buf[:0], sized once when the length is
// known; without a buffer or a length, as io.ReadAll does (its growth
// leaves less slack in a retained delta page than doubling).
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	b := buf[:0]
	switch n := resp.ContentLength; {
	case n > 0 && n < 1<<31:
		b = slices.Grow(b, int(n)+1) // +1: the read that sees EOF
	case cap(b) == 0:
		return io.ReadAll(resp.Body)
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, cap(b))
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// batchBufs are the buffers $batch answers are read into: decodeBatch
// copies what it keeps.
var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody: larger answers are left to the garbage collector.
const maxPooledBody = 1 << 20

// failedResponse is the error kiota-http-go's adapter makes of a status
// >= 400 (throwIfFailedResponse): the error mapping's model (ODataError)
// read from the body with the status and headers set, or an ApiError when
// no mapping, body or content type fits; mapError reduces either to
// *Error.
func (c *Client) failedResponse(resp *http.Response, em abs.ErrorMappings) error {
	status := strconv.Itoa(resp.StatusCode)
	headers := abs.NewResponseHeaders()
	for k, vs := range resp.Header {
		for _, v := range vs {
			headers.Add(k, v)
		}
	}
	apiError := func(msg string) error {
		return &abs.ApiError{Message: msg + status, ResponseStatusCode: resp.StatusCode, ResponseHeaders: headers}
	}
	var ctor absser.ParsableFactory
	switch {
	case em[status] != nil:
		ctor = em[status]
	case resp.StatusCode < 500 && em["4XX"] != nil:
		ctor = em["4XX"]
	case resp.StatusCode >= 500 && resp.StatusCode < 600 && em["5XX"] != nil:
		ctor = em["5XX"]
	case resp.StatusCode < 600:
		ctor = em["XXX"]
	}
	if ctor == nil {
		return apiError("The server returned an unexpected status code and no error factory is registered for this code: ")
	}
	if resp.ContentLength == 0 {
		return apiError("The server returned an unexpected status code with no response body: ")
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	contentType := ""
	if resp.Header != nil {
		contentType, _, _ = strings.Cut(resp.Header.Get("Content-Type"), ";")
		contentType = strings.ToLower(contentType)
	}
	if contentType == "" {
		return apiError("The server returned an unexpected status code with no response body: ")
	}
	node, err := c.errorParseNodes.GetRootParseNode(contentType, body)
	if err != nil {
		return err
	}
	v, err := node.GetObjectValue(ctor)
	if err != nil {
		if ae, ok := err.(abs.ApiErrorable); ok {
			ae.SetResponseHeaders(headers)
			ae.SetStatusCode(resp.StatusCode)
		}
		return err
	}
	if v == nil {
		return apiError("The server returned an unexpected status code but the error could not be deserialized: ")
	}
	if ae, ok := v.(abs.ApiErrorable); ok {
		ae.SetResponseHeaders(headers)
		ae.SetStatusCode(resp.StatusCode)
	}
	if err, ok := v.(error); ok {
		return err
	}
	return apiError("The server returned an unexpected status code but the error could not be deserialized: ")
}

// jsonObject reports whether body is a JSON object (encoding/json accepts
// a top-level null into a struct without complaint).
func jsonObject(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// Typed fields read from a decoded object. Absent and null are the zero
// value; any other JSON type is an error, as the SDK's models refused it.

func stringProp(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", propTypeError(key, "a string", v)
	}
}

func boolProp(m map[string]any, key string) (*bool, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case bool:
		return &v, nil
	default:
		return nil, propTypeError(key, "a boolean", v)
	}
}

func timeProp(m map[string]any, key string) (*time.Time, error) {
	s, err := stringProp(m, key)
	return timeOf(key, s, err)
}

// timeOf parses the RFC 3339 value s of property key, read as a string by
// rawString or stringProp with err (empty: no time).
func timeOf(key, s string, err error) (*time.Time, error) {
	if err != nil || s == "" {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("property %s: %w", key, err)
	}
	return &t, nil
}

func stringsProp(m map[string]any, key string) ([]string, error) {
	switch v := m[key].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, propTypeError(key, "a list of strings", v)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, propTypeError(key, "a list of strings", v)
	}
}

func propTypeError(key, want string, got any) error {
	return fmt.Errorf("property %s: want %s, got %s", key, want, jsonType(got))
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
