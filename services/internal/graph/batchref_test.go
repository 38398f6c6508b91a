package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// decodeBatchMaps is how $batch answers were read before the scanner:
// the whole answer through encoding/json into maps. Kept as the reference
// decodeBatch is checked against.
func decodeBatchMaps(body []byte, ids []string, now time.Time) ([]BatchResult, error) {
	if !jsonObject(body) {
		return nil, fmt.Errorf("decode batch answer: %w", errNotObject)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode batch answer: %w", err)
	}
	list, ok := raw["responses"].([]any)
	if !ok && raw["responses"] != nil {
		return nil, fmt.Errorf("decode batch answer: %w", propTypeError("responses", "an array", raw["responses"]))
	}
	items := make(map[string]BatchResult, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("decode batch answer: item %d: %w", i, errNotObject)
		}
		res, err := batchResultOfMap(m, now)
		if err != nil {
			return nil, fmt.Errorf("decode batch answer: item %d: %w", i, err)
		}
		if _, dup := items[res.ID]; dup {
			return nil, fmt.Errorf("decode batch answer: item %q answered twice", res.ID)
		}
		items[res.ID] = res
	}
	out := make([]BatchResult, len(ids))
	for i, id := range ids {
		res, ok := items[id]
		if !ok {
			res = BatchResult{ID: id, Err: &Error{Code: "batchItemMissing", Message: "no response for batch item " + id}}
		}
		out[i] = res
	}
	return out, nil
}

func batchResultOfMap(m map[string]any, now time.Time) (BatchResult, error) {
	var res BatchResult
	var err error
	if res.ID, err = stringProp(m, "id"); err != nil {
		return res, err
	}
	switch v := m["status"].(type) {
	case nil:
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1e9 {
			return res, fmt.Errorf("property status: want an integer, got %v", v)
		}
		res.Status = int(v)
	default:
		return res, propTypeError("status", "a number", v)
	}
	switch h := m["headers"].(type) {
	case nil:
	case map[string]any:
		res.Headers = make(map[string]string, len(h))
		for k, v := range h {
			s, ok := v.(string)
			if !ok {
				return res, propTypeError("headers."+k, "a string", v)
			}
			res.Headers[k] = s
		}
	default:
		return res, propTypeError("headers", "an object", h)
	}
	res.Body, _ = m["body"].(map[string]any)
	res.settle(now)
	return res, nil
}

// requireSameBatchDecoding: decodeBatch reads body as the map decoder
// did: the same results, or both an error. The one leniency: a number out
// of float64's range in a part of the answer the scanner never decodes
// (an unknown property) failed the whole answer before.
func requireSameBatchDecoding(t *testing.T, body []byte, ids []string) ([]BatchResult, error) {
	t.Helper()
	now := time.Unix(1_700_000_000, 0)
	got, err := decodeBatch(bytes.Clone(body), ids, now)
	want, werr := decodeBatchMaps(bytes.Clone(body), ids, now)
	var ute *json.UnmarshalTypeError
	if werr != nil && err == nil && errors.As(werr, &ute) {
		return got, err
	}
	require.Equal(t, werr != nil, err != nil, "%q\nnew: %v\nold: %v", body, err, werr)
	if err == nil {
		require.Equal(t, want, got, "%q", body)
	}
	return got, err
}

// TestBatchDecodingFixtures: answers as graphsim and Graph write them
// (testdata/batch: invitations, lookups, PATCH 204s, throttled and failed
// items, base64 bodies, escapes) read as the map decoder read them.
func TestBatchDecodingFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/batch/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			ids := fixtureIDs(t, body)
			res, err := requireSameBatchDecoding(t, body, append(ids, "missing"))
			require.NoError(t, err)
			require.Len(t, res, len(ids)+1)
			require.Equal(t, "batchItemMissing", res[len(ids)].Err.Code)
		})
	}
}

// fixtureIDs are the ids a fixture answers, in its order.
func fixtureIDs(t *testing.T, body []byte) []string {
	var env struct {
		Responses []struct {
			ID string `json:"id"`
		} `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	var ids []string
	for _, r := range env.Responses {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestBatchDecodingFaults: what is wrong with an answer is named, field
// and item.
func TestBatchDecodingFaults(t *testing.T) {
	ids := []string{"1", "2"}
	for body, want := range map[string]string{
		`{"responses":[{"id":"1","status":204},{"id":1}]}`:                     "item 1: property id: want a string, got a number",
		`{"responses":[{"id":"1","status":true}]}`:                             "item 0: property status: want a number, got a boolean",
		`{"responses":[{"id":"1","status":1e400}]}`:                            "item 0: property status: want an integer",
		`{"responses":[{"id":"1","status":200,"headers":[]}]}`:                 "item 0: property headers: want an object, got an array",
		`{"responses":[{"id":"1","status":200,"headers":{"a":"x","b":null}}]}`: "item 0: property headers.b: want a string, got null",
		`{"responses":[{"id":"1","status":200,"body":{"n":1e400}}]}`:           "item 0: property body: number 1e400",
		`{"responses":"x"}`:                     "property responses: want an array, got a string",
		`{"responses":[{"id":"x"},{"id":"x"}]}`: `item "x" answered twice`,
		`{"responses":[{"id":"1"}]`:             "unexpected end of JSON input",
		`{"responses":[{"id":"1",}]}`:           "invalid character '}'",
	} {
		_, err := requireSameBatchDecoding(t, []byte(body), ids)
		require.ErrorContains(t, err, "decode batch answer", body)
		require.ErrorContains(t, err, want, body)
	}
	// Repeated names: the last counts, as in a map.
	res, err := requireSameBatchDecoding(t, []byte(`{"responses":[],"responses":[{"id":"1","status":500,"status":201,
		"headers":{"a":1,"a":"x"},"body":{"v":1},"body":{"v":2}}]}`), ids)
	require.NoError(t, err)
	require.Equal(t, BatchResult{ID: "1", Status: 201, Headers: map[string]string{"a": "x"}, Body: map[string]any{"v": 2.0}}, res[0])
}

// FuzzDecodeBatch: decodeBatch and the map decoder agree on every input.
func FuzzDecodeBatch(f *testing.F) {
	files, _ := filepath.Glob("testdata/batch/*.json")
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	for _, s := range decodeSeeds {
		if strings.Contains(s, "responses") {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		requireSameBatchDecoding(t, body, []string{"1", "2", "a", "2"})
	})
}

// BenchmarkDecodeBatch reads the fixture of an initial cycle's $batch
// answer (lookups, an invitation, PATCH 204s), with the scanner and with
// the map decoder it replaced.
func BenchmarkDecodeBatch(b *testing.B) {
	body, err := os.ReadFile("testdata/batch/initial-cycle.json")
	require.NoError(b, err)
	ids := []string{"1", "2", "3", "4", "5"}
	for _, d := range []struct {
		name string
		fn   func([]byte, []string, time.Time) ([]BatchResult, error)
	}{{"scan", decodeBatch}, {"maps", decodeBatchMaps}} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.fn(body, ids, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzItemURL: the fast path of itemURL gives what net/url gives.
func FuzzItemURL(f *testing.F) {
	for _, s := range []string{
		"/users?$filter=mail+eq+%27a%40b.example%27&$select=id,userPrincipalName,userType,mail",
		"/users?$filter=otherMails%2Fany%28x%3Ax+eq+%27a%40b%27%29&$select=id", "/invitations", "users/abc-123",
		"/groups/g/members/$ref", "//evil.example/x", "/users/TokenToReplace", "/users/TokenToReplace/x?y",
		"/a b", "/a%20b", "/é", "/x?q=é#frag", "/x?", "?", "", "/x?a\x01", "/./../x", "/users/{id}",
	} {
		f.Add(s)
	}
	c := &Client{itemBase: "https://graph.example/v1.0"}
	f.Fuzz(func(t *testing.T, rel string) {
		fast, ok := plainItemURL(rel)
		if !ok {
			return
		}
		want, err := c.parsedItemURL(rel)
		require.NoError(t, err, "%q", rel)
		require.Equal(t, want, fast, "%q", rel)
	})
}
