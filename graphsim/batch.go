package graphsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// maxBatch is Graph's limit of requests in one JSON batch.
const maxBatch = 20

// batchRequest is one entry of a $batch body.
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// parseBatch decodes and validates a $batch body.
func parseBatch(body []byte) ([]batchRequest, *gerror) {
	var env struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(body, &env); err != nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, errInvalidJSON()
	}
	switch {
	case len(env.Requests) == 0:
		return nil, errBadRequestPlain("Invalid batch payload format.")
	case len(env.Requests) > maxBatch:
		return nil, errBadRequestPlain("Number of included requests exceeds the maximum of " + strconv.Itoa(maxBatch) + ".")
	}
	seen := map[string]bool{}
	for _, r := range env.Requests {
		switch {
		case r.ID == "":
			return nil, errBadRequestPlain("Invalid batch payload format: the 'id' of a request is required.")
		case seen[r.ID]:
			return nil, errBadRequestPlain("Batch request contains duplicate Id '" + r.ID + "'.")
		case r.Method == "":
			return nil, errBadRequestPlain("Invalid batch payload format: the 'method' of request '" + r.ID + "' is required.")
		case r.URL == "":
			return nil, errBadRequestPlain("Invalid batch payload format: the 'url' of request '" + r.ID + "' is required.")
		}
		for _, d := range r.DependsOn {
			if !seen[d] {
				return nil, errBadRequestPlain("Batch request '" + r.ID + "' depends on '" + d + "', which is not an earlier request in the batch.")
			}
		}
		seen[r.ID] = true
	}
	return env.Requests, nil
}

// relativeURL turns a batch url into an escaped path and raw query below
// /v1.0; absolute URLs and "/v1.0/" prefixes are tolerated.
func relativeURL(raw string) (string, string) {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			raw = rest[j:]
		} else {
			raw = "/"
		}
	}
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	raw = strings.TrimPrefix(raw, "/v1.0")
	path, query, _ := strings.Cut(raw, "?")
	return path, query
}

// handleBatch runs each inner request in order through throttling and
// routing, answering 424 for requests whose dependency failed. The batch
// costs one latency draw, not one per request: Graph runs the requests of
// a batch concurrently (dependsOn aside), so a call of 20 takes about as
// long as a call of one. Throttling and faults stay per request.
func (s *Server) handleBatch(outer *reqCtx) *response {
	reqs, e := parseBatch(outer.body)
	if e != nil {
		return errResponse(e)
	}
	defer outer.t.batchStarted()()
	admitted := false
	status := map[string]int{}
	b := append(make([]byte, 0, 1024), `{"responses":[`...)
	for i, br := range reqs {
		rc := &reqCtx{
			ctx: outer.ctx, s: s, t: outer.t, app: outer.app, method: strings.ToUpper(br.Method),
			header: http.Header{}, now: s.now(), reqID: newRequestID(), clientReqID: outer.clientReqID,
		}
		for k, v := range br.Headers {
			rc.header.Set(k, v)
		}
		rc.batched = true
		if len(br.Body) > 0 && !bytes.Equal(bytes.TrimSpace(br.Body), []byte("null")) {
			rc.body = br.Body
		}
		rc.setPath(relativeURL(br.URL))
		var resp *response
		failedDep := ""
		for _, d := range br.DependsOn {
			if status[d] >= 400 {
				failedDep = d
			}
		}
		switch {
		case failedDep != "":
			resp = errResponse(&gerror{status: http.StatusFailedDependency, code: codeFailedDependency,
				message: "The request could not be completed because request '" + failedDep + "' it depends on failed."})
		case len(rc.segs) > 0 && rc.segs[0] == "$batch":
			resp = errResponse(errBadRequestPlain("Nested batch requests are not supported."))
		default:
			resp = s.admitAndRoute(rc)
		}
		resp.finalize(rc.now, rc.reqID, rc.clientReqID)
		status[br.ID] = resp.status
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBatchResponse(b, br.ID, resp)
		admitted = admitted || rc.admitted
	}
	if admitted { // a batch refused whole by throttling costs no latency
		outer.t.delay(outer.ctx, outer.t.Limits())
	}
	return jsonResponse(http.StatusOK, append(b, "]}"...))
}

// appendBatchResponse renders one entry of "responses". JSON bodies are
// inlined; other bodies are base64, as Graph does.
func appendBatchResponse(b []byte, id string, r *response) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, `,"headers":{`...)
	first := true
	for _, k := range []string{"Content-Type", "Retry-After", "Location", "request-id", "client-request-id"} {
		if v := r.header.Get(k); v != "" {
			b = appendKey(b, &first, k)
			b = appendString(b, v)
		}
	}
	b = append(b, '}')
	if len(r.body) > 0 {
		b = append(b, `,"body":`...)
		if r.text {
			b = appendString(b, base64.StdEncoding.EncodeToString(r.body))
		} else {
			b = append(b, r.body...)
		}
	}
	return append(b, '}')
}
