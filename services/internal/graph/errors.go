package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a failed Graph (or token endpoint) response, reduced to what
// callers branch on. Graph's own code (e.g. "Request_ResourceNotFound",
// "Authorization_RequestDenied") is kept verbatim in Code.
type Error struct {
	// Status is the HTTP status; 0 when no response was received.
	Status  int
	Code    string
	Message string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// RequestID is Graph's request-id, for support tickets and logs.
	RequestID string
	// Auth marks a failure to obtain a token (bad secret, unknown tenant).
	Auth bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Auth {
		b.WriteString("authentication: ")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		if e.Code != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrDeltaExpired) and errors.Is(err, ErrAuth) work
// on a mapped *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrDeltaExpired:
		return e.Status == http.StatusGone || strings.EqualFold(e.Code, "syncStateNotFound") ||
			strings.EqualFold(e.Code, "resyncRequired") || strings.EqualFold(e.Code, "syncStateInvalid")
	case ErrAuth:
		return e.Auth || e.Status == http.StatusUnauthorized
	}
	return false
}

var (
	// ErrDeltaExpired means a delta or skip token is no longer valid (410
	// Gone / syncStateNotFound): the reader must start a full resync.
	ErrDeltaExpired = errors.New("graph: delta token expired")
	// ErrLinkLoop means an @odata.nextLink named a page already read in
	// this listing: following it would page forever.
	ErrLinkLoop = errors.New("graph: @odata.nextLink loops")
	// ErrAuth means the app could not authenticate: token refused by the
	// authority, or the token refused by Graph (401).
	ErrAuth = errors.New("graph: authentication failed")
)

// IsThrottled reports a 429 (after the SDK's own retries gave up).
func IsThrottled(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports a 409, e.g. an object that already exists.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

// IsAlreadyExists reports a write refused because its result already
// exists: a 409, or Graph's 400 for a duplicate userPrincipalName or an
// existing group member ("... already exist(s) ..."). Writers treat it as
// success of an idempotent retry, after checking the object matches.
func IsAlreadyExists(err error) bool {
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	return ge.Status == http.StatusConflict ||
		(ge.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(ge.Message), "already exist"))
}

// IsTransient reports failures worth retrying later as they are: throttling,
// server errors, and no response at all (but not a cancelled context).
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	if ge.Auth {
		return ge.Status >= 500
	}
	return ge.Status == 0 || ge.Status == http.StatusTooManyRequests || ge.Status == http.StatusRequestTimeout || ge.Status >= 500
}

func statusOf(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Status
	}
	return 0
}

// mapError turns SDK, kiota and azidentity errors into *Error, keeping
// context errors as they are. The result wraps nothing SDK-typed so callers
// never need the SDK to inspect it.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var ge *Error
	if errors.As(err, &ge) || errors.Is(err, ErrLinkLoop) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		e := &Error{Status: oe.GetStatusCode()}
		if main := oe.GetErrorEscaped(); main != nil {
			e.Code = deref(main.GetCode())
			e.Message = deref(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				e.RequestID = deref(inner.GetRequestId())
			}
		}
		fillFromHeaders(e, oe.GetResponseHeaders())
		return e
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) {
		e := &Error{Status: ae.ResponseStatusCode, Message: ae.Message}
		fillFromHeaders(e, ae.ResponseHeaders)
		return e
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		return authError(af)
	}
	// Transport failures (connection refused, TLS) carry no status.
	return &Error{Message: err.Error()}
}

func fillFromHeaders(e *Error, h *abs.ResponseHeaders) {
	if h == nil {
		return
	}
	if e.RequestID == "" {
		e.RequestID = first(h.Get("request-id"))
	}
	e.RetryAfter = parseRetryAfter(first(h.Get("retry-after")), time.Now())
}

// authError reads the OAuth error body ({"error","error_description"}) of
// a refused token request.
func authError(af *azidentity.AuthenticationFailedError) *Error {
	e := &Error{Auth: true, Code: "authentication_failed", Message: af.Error()}
	if af.RawResponse == nil {
		return e
	}
	e.Status = af.RawResponse.StatusCode
	e.RequestID = af.RawResponse.Header.Get("x-ms-request-id")
	body, err := runtime.Payload(af.RawResponse)
	if err != nil {
		return e
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		e.Code, e.Message = oauth.Error, oauth.Description
	}
	return e
}

// parseRetryAfter accepts delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// wrap maps err and prefixes the operation, per the project's
// "verb object: %w" habit.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, mapError(err))
}
