package writer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		err   error
		class envelopeClass
		code  rules.Code // codeOf of the *graph.Error, when there is one
	}{
		{"401 token refused by Graph", live, &graph.Error{Status: 401, Code: "InvalidAuthenticationToken"}, envDenied, rules.AuthorizationDenied},
		{"403 missing permission", live, &graph.Error{Status: 403, Code: "Authorization_RequestDenied"}, envDenied, rules.AuthorizationDenied},
		{"bad client secret", live, &graph.Error{Auth: true, Status: 401, Code: "invalid_client"}, envDenied, rules.AuthorizationDenied},
		{"unknown app", live, &graph.Error{Auth: true, Status: 400, Code: "unauthorized_client"}, envDenied, rules.AuthorizationDenied},
		{"authority unreachable (retried, then AuthorizationDenied)", live, &graph.Error{Auth: true, Message: "connection refused"}, envTransient, ""},
		{"authority 503", live, &graph.Error{Auth: true, Status: 503}, envTransient, rules.GraphUnavailable},
		{"throttled", live, &graph.Error{Status: 429}, envThrottled, rules.GraphUnavailable},
		{"server error", live, &graph.Error{Status: 502}, envTransient, rules.GraphUnavailable},
		{"connection reset", live, fmt.Errorf("send batch: %w", &graph.Error{Message: "read: connection reset by peer"}), envTransient, rules.GraphUnavailable},
		{"envelope refused", live, &graph.Error{Status: 400, Code: "BadRequest", Message: "Invalid batch payload."}, envRejected, rules.GraphRequestRejected},
		{"client timeout", live, fmt.Errorf("send batch: %w", context.DeadlineExceeded), envTransient, ""},
		{"our own deadline", done, fmt.Errorf("send batch: %w", context.DeadlineExceeded), envRetryBatch, ""},
		{"Redis", live, errors.New("take 3 write tokens: redis: connection pool timeout"), envRetryBatch, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			class, ge := classifyEnvelope(tc.ctx, tc.err)
			require.Equal(t, tc.class, class)
			if tc.code != "" {
				require.Equal(t, tc.code, codeOf(ge))
			}
		})
	}
}

func TestCodeOfItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    *graph.Error
		want rules.Code
	}{
		{&graph.Error{Status: 404, Code: "Request_ResourceNotFound"}, rules.InvalidAnchor},
		{&graph.Error{Status: 400, Message: "Another object with the same value for property userPrincipalName already exists."}, rules.EntryConflict},
		{&graph.Error{Status: 400, Message: "The specified email address 'a b@c' is invalid."}, rules.InvalidAttributeValue},
		{&graph.Error{Status: 400, Message: "Unsupported query."}, rules.GraphRequestRejected},
		{&graph.Error{Status: 401}, rules.AuthorizationDenied},
		{nil, rules.GraphRequestRejected},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, codeOf(tc.e), "%+v", tc.e)
	}
}
