package graphsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// gerror is a Graph error answer: an HTTP status plus the code and message
// Graph puts in {"error":{...}}. Codes and messages follow what Graph
// actually returns for directory objects.
type gerror struct {
	status     int
	code       string
	message    string
	retryAfter int // seconds, for 429 and 503
}

func (e *gerror) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

// Error codes used by Graph for directory resources.
const (
	codeBadRequest        = "Request_BadRequest"
	codeBadRequestPlain   = "BadRequest"
	codeNotFound          = "Request_ResourceNotFound"
	codeUnsupportedQuery  = "Request_UnsupportedQuery"
	codeInvalidToken      = "InvalidAuthenticationToken"
	codeIdentityNotFound  = "Authorization_IdentityNotFound"
	codeTooManyRequests   = "TooManyRequests"
	codeServiceNotAvail   = "serviceNotAvailable"
	codeGatewayTimeout    = "gatewayTimeout"
	codeInternalError     = "generalException"
	codeSyncStateNotFound = "syncStateNotFound"
	codeMethodNotAllowed  = "Request_BadRequest"
	codeFailedDependency  = "FailedDependency"
)

func errBadRequest(msg string) *gerror {
	return &gerror{status: http.StatusBadRequest, code: codeBadRequest, message: msg}
}

func errBadRequestPlain(msg string) *gerror {
	return &gerror{status: http.StatusBadRequest, code: codeBadRequestPlain, message: msg}
}

// errNotFound is Graph's answer for an unknown directory object id.
func errNotFound(id string) *gerror {
	return &gerror{status: http.StatusNotFound, code: codeNotFound,
		message: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

// errNoRoute answers paths the simulator (or Graph) does not know.
func errNoRoute(method, path string) *gerror {
	return &gerror{status: http.StatusBadRequest, code: codeBadRequestPlain,
		message: "Resource not found for the segment '" + path + "'."}
}

func errMethod(method string) *gerror {
	return &gerror{status: http.StatusMethodNotAllowed, code: codeBadRequestPlain,
		message: "The HTTP method '" + method + "' is not supported on this resource."}
}

// errInvalidJSON is Graph's answer to a body that does not parse.
func errInvalidJSON() *gerror {
	return errBadRequestPlain("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
}

func errUnauthorized(msg string) *gerror {
	return &gerror{status: http.StatusUnauthorized, code: codeInvalidToken, message: msg}
}

// response is one Graph answer, shared by direct requests and $batch.
type response struct {
	status int
	header http.Header
	body   []byte // JSON (or text/plain for /$count)
	err    *gerror
	text   bool
}

func jsonResponse(status int, body []byte) *response {
	return &response{status: status, body: body}
}

func noContent() *response { return &response{status: http.StatusNoContent} }

func errResponse(e *gerror) *response { return &response{status: e.status, err: e} }

// errorBody renders e like Graph, innerError carrying the request ids.
func errorBody(e *gerror, now time.Time, reqID, clientReqID string) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"error":{"code":`...)
	b = appendString(b, e.code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.message)
	b = append(b, `,"innerError":{"date":`...)
	b = appendString(b, now.UTC().Format("2006-01-02T15:04:05"))
	b = append(b, `,"request-id":`...)
	b = appendString(b, reqID)
	b = append(b, `,"client-request-id":`...)
	b = appendString(b, clientReqID)
	return append(b, "}}}"...)
}

// finalize turns an error response into bytes and headers.
func (r *response) finalize(now time.Time, reqID, clientReqID string) {
	if r.header == nil {
		r.header = http.Header{}
	}
	if r.err != nil {
		r.body = errorBody(r.err, now, reqID, clientReqID)
		if r.err.retryAfter > 0 {
			r.header.Set("Retry-After", strconv.Itoa(r.err.retryAfter))
		}
	}
	if len(r.body) > 0 && r.header.Get("Content-Type") == "" {
		if r.text {
			r.header.Set("Content-Type", "text/plain")
		} else {
			r.header.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
		}
	}
	r.header.Set("request-id", reqID)
	r.header.Set("client-request-id", clientReqID)
}
