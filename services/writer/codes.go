package writer

import (
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
	case e.Status == http.StatusNotFound:
		// The anchor (target id) no longer exists.
		return rules.InvalidAnchor
	case e.Status == http.StatusForbidden:
		return CodeAuthorizationDenied
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

// transient reports a batch item worth retrying as it is.
func transient(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status >= 500
}
