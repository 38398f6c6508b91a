package writer

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Graph failure classes, from the catalogue in pkg/rules.
const (
	CodeGraphUnavailable     = rules.GraphUnavailable
	CodeAuthorizationDenied  = rules.AuthorizationDenied
	CodeGraphRequestRejected = rules.GraphRequestRejected
)

// codeOf maps a permanent Graph failure to a stable code. Graph's own code
// stays in the outcome's message.
func codeOf(e *graph.Error) rules.Code {
	if e == nil {
		return CodeGraphRequestRejected
	}
	msg := strings.ToLower(e.Message)
	gc := strings.ToLower(e.Code)
	switch {
	case denied(e):
		return CodeAuthorizationDenied
	case e.Status == http.StatusNotFound:
		// The anchor (target id) no longer exists.
		return rules.InvalidAnchor
	case e.Status == http.StatusConflict,
		strings.Contains(msg, "already exists"),
		strings.Contains(msg, "userprincipalname") && strings.Contains(msg, "conflict"),
		strings.Contains(gc, "conflict"):
		// E.g. a UPN or mailNickname held by another object.
		return rules.EntryConflict
	case strings.Contains(msg, "invalid value") || strings.Contains(gc, "invalidvalue") ||
		strings.Contains(msg, "is invalid") || strings.Contains(gc, "badrequest") && strings.Contains(msg, "property"):
		return rules.InvalidAttributeValue
	case graph.IsTransient(e):
		return CodeGraphUnavailable
	}
	return CodeGraphRequestRejected
}

// denied reports a failure no retry of this batch can fix: the token was
// refused (401) or lacks the permission (403), or the authority refused to
// issue one (bad secret, unknown app or tenant).
func denied(e *graph.Error) bool {
	switch {
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden:
		return true
	case e.Auth:
		return !authUnreachable(e)
	}
	return false
}

// authUnreachable: the authority did not answer or failed (no status,
// 5xx). Retried like any transient failure, then AuthorizationDenied.
func authUnreachable(e *graph.Error) bool {
	return e.Auth && (e.Status == 0 || e.Status >= 500)
}

// transient reports a batch item worth retrying as it is.
func transient(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status >= 500
}

// envelopeClass sorts the failure of a whole $batch call.
type envelopeClass int

const (
	envRetryBatch envelopeClass = iota // not Graph's answer (Redis): the IntentBatch retries
	envThrottled
	envTransient
	envDenied
	envRejected
)

// classifyEnvelope sorts err of a $batch call that Graph (or the
// authority) failed. ctx is Apply's: a deadline of the client's own
// (GraphTimeout) is a transient failure, Apply's own end is not.
func classifyEnvelope(ctx context.Context, err error) (envelopeClass, *graph.Error) {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return envTransient, &graph.Error{Message: err.Error()}
		}
		return envRetryBatch, nil
	}
	switch {
	case ge.Status == http.StatusTooManyRequests:
		return envThrottled, ge
	case denied(ge):
		return envDenied, ge
	case authUnreachable(ge), graph.IsTransient(ge):
		return envTransient, ge
	}
	return envRejected, ge
}
