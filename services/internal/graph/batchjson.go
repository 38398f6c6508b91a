package graph

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// The $batch body is written and read here rather than through the SDK's
// BatchRequest: that marshalled each item's body, unmarshalled it into a
// map and wrote it again with kiota's reflection-based writer, and read
// the answer through parse nodes into BatchItems (a third of the writer's
// CPU in an initial cycle, BENCHMARKS.md issue 5).

var batchMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPatch: true,
	http.MethodPut: true, http.MethodDelete: true,
}

// encodeBatch writes {"requests":[{id,method,url,headers,body,dependsOn}]}.
// ids are the items' ids (BatchRequest.ID or the 1-based position).
func (c *Client) encodeBatch(reqs []BatchRequest, ids []string) ([]byte, error) {
	b := make([]byte, 0, 512*len(reqs))
	b = append(b, `{"requests":[`...)
	for i, r := range reqs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = c.appendBatchItem(b, ids[i], r); err != nil {
			return nil, fmt.Errorf("batch request %d: %w", i+1, err)
		}
	}
	return append(b, "]}"...), nil
}

func (c *Client) appendBatchItem(b []byte, id string, r BatchRequest) ([]byte, error) {
	method := strings.ToUpper(r.Method)
	if !batchMethods[method] {
		return nil, fmt.Errorf("unsupported method %q", r.Method)
	}
	u, err := c.itemURL(r.URL)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, u)
	hasBody := false
	if r.Body != nil {
		mark := len(b)
		b = append(b, `,"body":`...)
		start := len(b)
		if b, err = appendJSON(b, r.Body, 0); err != nil {
			return nil, fmt.Errorf("marshal body: %w", err)
		}
		switch {
		case string(b[start:]) == "null":
			b = b[:mark]
		case b[start] != '{':
			return nil, fmt.Errorf("marshal body: %T is not a JSON object", r.Body)
		default:
			hasBody = true
		}
	}
	b = appendItemHeaders(b, r.Headers, hasBody)
	if len(r.DependsOn) > 0 {
		b = append(b, `,"dependsOn":[`...)
		for i, d := range r.DependsOn {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// itemURL makes url relative to the service root the way the SDK's batch
// items did: resolved under GraphURL, normalized by net/url, root cut off.
func (c *Client) itemURL(rel string) (string, error) {
	if u, ok := plainItemURL(rel); ok {
		return u, nil
	}
	return c.parsedItemURL(rel)
}

// plainItemURL is itemURL without net/url for the writer's usual URLs: a
// path of characters net/url never escapes and a query without control
// characters or a fragment, which parsing and printing leave as they are
// (FuzzItemURL compares the two).
func plainItemURL(rel string) (string, bool) {
	path, query, _ := strings.Cut(rel, "?")
	for i := 0; i < len(path); i++ {
		if c := path[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == '$') {
			return "", false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < 0x20 || c == 0x7f || c == '#' {
			return "", false
		}
	}
	return khttp.ReplacePathTokens("/"+strings.TrimPrefix(rel, "/"), msgraphgocore.ReplacementPairs), true
}

func (c *Client) parsedItemURL(rel string) (string, error) {
	u, err := url.Parse(c.itemBase + "/" + strings.TrimPrefix(rel, "/"))
	if err != nil {
		return "", fmt.Errorf("parse url %q: %w", rel, err)
	}
	s := khttp.ReplacePathTokens(u.String(), msgraphgocore.ReplacementPairs)
	out, ok := strings.CutPrefix(s, c.itemBase)
	if !ok {
		return "", fmt.Errorf("url %q leaves the service root", rel)
	}
	return out, nil
}

// appendItemHeaders writes the item's headers with lower-case names (as
// kiota's request headers did), adding content-type for a body.
func appendItemHeaders(b []byte, h map[string]string, hasBody bool) []byte {
	if len(h) == 0 && !hasBody {
		return b
	}
	b = append(b, `,"headers":{`...)
	if len(h) == 0 { // hasBody
		return append(b, `"content-type":"application/json"}`...)
	}
	norm := make(map[string]string, len(h))
	for k, v := range h {
		k = strings.ToLower(strings.TrimSpace(k))
		if prev, ok := norm[k]; ok {
			v = prev + "," + v
		}
		norm[k] = v
	}
	if _, ok := norm["content-type"]; hasBody && !ok {
		norm["content-type"] = "application/json"
	}
	keys := make([]string, 0, len(norm))
	for k := range norm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, norm[k])
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 as U+FFFD (as encoding/json).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but not valid JavaScript; encoding/json escapes them too.
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeBatch reads a $batch answer into one result per id, in the order
// of ids. An id Graph did not answer gets a batchItemMissing error, an
// item with a status outside 100-599 batchItemMalformed (both status 0,
// transient); an answer that is not a batch answer, or answers an id
// twice, is an error. The answer is validated once (validJSON) and
// scanned; only item bodies become maps (BatchResult.Body), the envelope
// never does. Names are matched exactly, the last of repeated names wins,
// as they did when the answer was decoded into maps (encoding/json
// matches struct fields case-insensitively).
func decodeBatch(body []byte, ids []string, now time.Time) ([]BatchResult, error) {
	if !jsonObject(body) {
		return nil, fmt.Errorf("decode batch answer: %w", errNotObject)
	}
	if err := checkJSON(body); err != nil {
		return nil, fmt.Errorf("decode batch answer: %w", err)
	}
	var list []byte
	err := eachProp(body, func(p prop) error {
		if string(p.name()) == "responses" {
			list = p.value
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode batch answer: %w", err)
	}
	if !isNull(list) && list[0] != '[' {
		return nil, fmt.Errorf("decode batch answer: property responses: want an array, got %s", rawType(list))
	}
	out := make([]BatchResult, len(ids))
	answered := make([]bool, len(ids))
	var others []string // answered ids not asked for
	if !isNull(list) {
		var props []prop // reused
		err = eachElement(list, func(i int, e []byte) error {
			if e[0] != '{' {
				return fmt.Errorf("item %d: %w", i, errNotObject)
			}
			props = props[:0]
			if err := eachProp(e, func(p prop) error { props = append(props, p); return nil }); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
			res, err := batchResultOf(props, now)
			if err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
			at := slices.Index(ids, res.ID)
			switch {
			case at >= 0 && !answered[at]:
				for j := at; j < len(ids); j++ {
					if ids[j] == res.ID { // ids repeated by the caller share it
						out[j], answered[j] = res, true
					}
				}
			case at < 0 && !slices.Contains(others, res.ID):
				others = append(others, res.ID)
			default:
				return fmt.Errorf("item %q answered twice", res.ID)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("decode batch answer: %w", err)
		}
	}
	for i, id := range ids {
		if !answered[i] {
			// Graph answered without this id: a transient failure.
			out[i] = BatchResult{ID: id, Err: &Error{Code: "batchItemMissing", Message: "no response for batch item " + id}}
		}
	}
	return out, nil
}

// batchResultOf reads {"id","status","headers","body"} from an item's
// properties. Only an object body is kept (a non-JSON answer's body is a
// base64 string).
func batchResultOf(props []prop, now time.Time) (BatchResult, error) {
	var res BatchResult
	var err error
	if res.ID, err = rawString(props, "id"); err != nil {
		return res, err
	}
	if res.Status, err = rawStatus(lookup(props, "status")); err != nil {
		return res, err
	}
	if res.Headers, err = rawHeaders(lookup(props, "headers")); err != nil {
		return res, err
	}
	if b := lookup(props, "body"); len(b) > 0 && b[0] == '{' {
		v, err := rawAny(b)
		if err != nil {
			return res, fmt.Errorf("property body: %w", err)
		}
		res.Body = v.(map[string]any)
	}
	res.settle(now)
	return res, nil
}

// settle reads what an item's status and headers say: its Retry-After and
// its error (a status outside HTTP's range is a malformed item).
func (res *BatchResult) settle(now time.Time) {
	res.RetryAfter = parseRetryAfter(headerValue(res.Headers, "Retry-After"), now)
	switch {
	case res.Status < 100 || res.Status > 599:
		res.Err = &Error{Code: "batchItemMalformed", Message: fmt.Sprintf("batch item %s answered with status %d", res.ID, res.Status)}
		res.Status = 0
	case res.Status >= 400:
		res.Err = batchItemError(*res)
	}
}

// rawStatus reads an item's status: an integral number (null or absent:
// 0).
func rawStatus(v []byte) (int, error) {
	if isNull(v) {
		return 0, nil
	}
	if v[0] == '-' || isDigit(v[0]) {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
			return 0, fmt.Errorf("property status: want an integer, got %s", v)
		}
		return int(f), nil
	}
	return 0, fmt.Errorf("property status: want a number, got %s", rawType(v))
}

// rawHeaders reads an item's headers: an object of strings (null or
// absent: nil). A repeated name's last value counts, as in a map.
func rawHeaders(v []byte) (map[string]string, error) {
	if isNull(v) {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, fmt.Errorf("property headers: want an object, got %s", rawType(v))
	}
	raw := map[string][]byte{}
	if err := eachProp(v, func(p prop) error { raw[string(p.name())] = p.value; return nil }); err != nil {
		return nil, fmt.Errorf("property headers: %w", err)
	}
	h := make(map[string]string, len(raw))
	for k, v := range raw {
		if len(v) == 0 || v[0] != '"' {
			return nil, fmt.Errorf("property headers.%s: want a string, got %s", k, rawType(v))
		}
		s, err := unquote(v)
		if err != nil {
			return nil, fmt.Errorf("property headers.%s: %w", k, err)
		}
		h[k] = s
	}
	return h, nil
}
