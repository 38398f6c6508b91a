package graph_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// TestRawPathErrorsMatchSDK: the raw paths ($batch, delta pages) read a
// failed answer themselves (raw.go, failedResponse); each must fail as
// the SDK's own error path fails on the same answer (GetUser, through
// kiota's throwIfFailedResponse): the same *Error, status, code,
// message, request id and Retry-After.
func TestRawPathErrorsMatchSDK(t *testing.T) {
	c, h := hostileClient(t)
	ctx := testCtx(t)
	bodies := []string{
		`{"error":{"code":"Request_ResourceNotFound","message":"gone","innerError":{"request-id":"r1","date":"2026-11-26T05:00:00"}}}`,
		`{"error":{"code":"TooManyRequests","message":"slow down"}}`,
		`{"error":{"code":12,"message":null,"innerError":"x"}}`,
		`{"error":null}`, `{}`, `[]`, `null`, `{"error":`, ``, `"text"`, `not json`,
	}
	for _, status := range []int{400, 401, 404, 409, 410, 429, 500, 503, 599, 601} {
		for _, body := range bodies {
			name := fmt.Sprintf("%d %s", status, body)
			answer(h, status, body)
			_, want := c.GetUser(ctx, "00000000-0000-0000-0000-000000000001")
			require.Error(t, want, name)
			_, errBatch := c.Batch(ctx, []graph.BatchRequest{graph.DeleteUserRequest("1", "u")})
			_, errDelta := c.UsersDeltaPage(ctx, graph.DeltaRequest{Select: []string{"id"}})
			for op, got := range map[string]error{"batch": errBatch, "delta": errDelta} {
				require.Error(t, got, "%s: %s", op, name)
				var wantGE, gotGE *graph.Error
				require.True(t, errors.As(want, &wantGE), "%s: SDK error %v", name, want)
				require.True(t, errors.As(got, &gotGE), "%s: %s: raw error %v", op, name, got)
				require.Equal(t, *wantGE, *gotGE, "%s: %s", op, name)
			}
		}
	}
}
