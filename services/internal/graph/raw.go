package graph

import (
	"bytes"
	"context"
	"fmt"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
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
// undecoded; a success without a body (204, empty) is errNoBody.
func (c *Client) sendRaw(ctx context.Context, info *abs.RequestInformation) ([]byte, error) {
	// kiota-http-go returns the body as read for typeName "[]byte", after
	// mapping a status >= 400 to an ODataError.
	res, err := c.adapter.SendPrimitive(ctx, info, "[]byte", odataErrorMapping)
	if err != nil {
		return nil, err
	}
	body, _ := res.([]byte)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: %s %s", errNoBody, info.Method.String(), info.UrlTemplate)
	}
	return body, nil
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
