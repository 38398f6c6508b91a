package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestBadRequestsTyped(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(2))
	ctx := testCtx(t)
	id := onlyUserID(t, s.client)
	const unknown = "00000000-0000-0000-0000-00000000dead"

	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"unknown select property", func() error {
			return s.client.ListUsers(ctx, graph.Query{Select: []string{"id", "noSuchProperty"}}, func(graph.User) error { return nil })
		}, http.StatusBadRequest, "BadRequest"},
		{"malformed filter", func() error {
			_, err := s.client.FindUsers(ctx, graph.Query{Filter: "displayName eq 'unterminated"})
			return err
		}, http.StatusBadRequest, "BadRequest"},
		{"unknown filter property", func() error {
			_, err := s.client.FindUsers(ctx, graph.Query{Filter: "nope eq 'x'"})
			return err
		}, http.StatusBadRequest, "BadRequest"},
		{"wrong JSON type", func() error {
			return s.client.UpdateUser(ctx, id, graph.Attributes{"accountEnabled": "yes please"})
		}, http.StatusBadRequest, "Request_BadRequest"},
		{"invalid JSON", func() error {
			return s.client.SendRawForTest(ctx, abs.PATCH, "/users/"+id, []byte(`{"jobTitle": "x",`))
		}, http.StatusBadRequest, "BadRequest"},
		{"unknown user", func() error { _, err := s.client.GetUser(ctx, unknown); return err },
			http.StatusNotFound, "Request_ResourceNotFound"},
		{"patch unknown user", func() error { return s.client.UpdateUser(ctx, unknown, graph.Attributes{"jobTitle": "x"}) },
			http.StatusNotFound, "Request_ResourceNotFound"},
		{"delete unknown group", func() error { return s.client.DeleteGroup(ctx, unknown) },
			http.StatusNotFound, "Request_ResourceNotFound"},
		{"add unknown member", func() error {
			g, err := s.client.CreateGroup(ctx, graph.Attributes{
				"displayName": "G", "mailNickname": "g", "securityEnabled": true, "mailEnabled": false,
			})
			if err != nil {
				return err
			}
			return s.client.AddMember(ctx, g.ID, unknown)
		}, http.StatusNotFound, "Request_ResourceNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			ge := requireGraphError(t, err, tt.status, tt.code)
			require.NotEmpty(t, ge.Code)
			t.Logf("%d %s: %s", ge.Status, ge.Code, ge.Message)
			require.False(t, graph.IsTransient(err))
			require.False(t, errors.Is(err, graph.ErrAuth))
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	wrapped := func(e *graph.Error) error { return fmt.Errorf("write user: %w", e) }
	tests := []struct {
		name                                           string
		err                                            error
		throttled, notFound, conflict, transient, gone bool
	}{
		{"429", wrapped(&graph.Error{Status: 429}), true, false, false, true, false},
		{"404", wrapped(&graph.Error{Status: 404}), false, true, false, false, false},
		{"409", wrapped(&graph.Error{Status: 409}), false, false, true, false, false},
		{"503", wrapped(&graph.Error{Status: 503}), false, false, false, true, false},
		{"no response", wrapped(&graph.Error{Message: "connection refused"}), false, false, false, true, false},
		{"410", wrapped(&graph.Error{Status: 410}), false, false, false, false, true},
		{"syncStateNotFound", wrapped(&graph.Error{Status: 400, Code: "syncStateNotFound"}), false, false, false, false, true},
		{"auth", wrapped(&graph.Error{Status: 401, Auth: true}), false, false, false, false, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false, false, false, false, false},
		{"plain", errors.New("boom"), false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.throttled, graph.IsThrottled(tt.err))
			require.Equal(t, tt.notFound, graph.IsNotFound(tt.err))
			require.Equal(t, tt.conflict, graph.IsConflict(tt.err))
			require.Equal(t, tt.transient, graph.IsTransient(tt.err))
			require.Equal(t, tt.gone, errors.Is(tt.err, graph.ErrDeltaExpired))
		})
	}
	e := &graph.Error{Status: 404, Code: "Request_ResourceNotFound", Message: "gone", RequestID: "r1"}
	require.Equal(t, "graph: 404 Request_ResourceNotFound: gone (request-id r1)", e.Error())
}
