package graph_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestBatchMixedResults(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(3))
	ctx := testCtx(t)
	existing := firstUsers(t, s.client, 1)
	var existingID string
	for id := range existing {
		existingID = id
	}

	reqs := []graph.BatchRequest{
		{ID: "invite", Method: "POST", URL: "/invitations", Body: map[string]any{
			"invitedUserEmailAddress": "batch@source.example", "inviteRedirectUrl": "https://myapps.microsoft.com",
			"sendInvitationMessage": false, "invitedUserType": "Guest",
		}},
		{ID: "group", Method: "POST", URL: "/groups", Body: graph.Attributes{
			"displayName": "Batch Group", "mailNickname": "batchgroup", "securityEnabled": true, "mailEnabled": false,
		}},
		{ID: "patch", Method: "PATCH", URL: "/users/" + existingID, Body: graph.Attributes{"jobTitle": "Batched"}},
		{ID: "get", Method: "GET", URL: "/users/" + existingID + "?$select=id,jobTitle", DependsOn: []string{"patch"}},
		{ID: "missing", Method: "GET", URL: "/users/00000000-0000-0000-0000-000000000bad"},
		{ID: "badjson", Method: "PATCH", URL: "/users/" + existingID, Body: map[string]any{"accountEnabled": "not-a-bool"}},
		{ID: "after-missing", Method: "GET", URL: "/users/" + existingID, DependsOn: []string{"missing"}},
	}
	res, err := s.client.Batch(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, res, len(reqs))
	for i, r := range res {
		require.Equal(t, reqs[i].ID, r.ID, "results come back in request order")
	}
	byID := map[string]graph.BatchResult{}
	for _, r := range res {
		byID[r.ID] = r
	}

	require.Equal(t, http.StatusCreated, byID["invite"].Status)
	require.Nil(t, byID["invite"].Err)
	invited, _ := byID["invite"].Body["invitedUser"].(map[string]any)
	require.NotEmpty(t, invited["id"])

	require.Equal(t, http.StatusCreated, byID["group"].Status)
	require.NotEmpty(t, byID["group"].Body["id"])

	require.Equal(t, http.StatusNoContent, byID["patch"].Status)
	require.Equal(t, http.StatusOK, byID["get"].Status)
	require.Equal(t, "Batched", byID["get"].Body["jobTitle"])

	missing := byID["missing"]
	require.Equal(t, http.StatusNotFound, missing.Status)
	require.NotNil(t, missing.Err)
	require.Equal(t, "Request_ResourceNotFound", missing.Err.Code)
	require.True(t, graph.IsNotFound(missing.Err))

	require.Equal(t, http.StatusBadRequest, byID["badjson"].Status)
	require.NotEmpty(t, byID["badjson"].Err.Code)

	// A failed dependency fails its dependants with 424.
	require.Equal(t, http.StatusFailedDependency, byID["after-missing"].Status)
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1))
	ctx := testCtx(t)

	var reqs []graph.BatchRequest
	for i := range graph.MaxBatch {
		reqs = append(reqs, graph.BatchRequest{Method: "GET", URL: fmt.Sprintf("/users?$top=1&$select=id&i=%d", i)})
	}
	res, err := s.client.Batch(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, res, graph.MaxBatch)
	for i, r := range res {
		require.Equal(t, fmt.Sprint(i+1), r.ID, "default ids are 1-based positions")
		require.Equal(t, http.StatusOK, r.Status)
	}

	_, err = s.client.Batch(ctx, append(reqs, graph.BatchRequest{Method: "GET", URL: "/users"}))
	require.ErrorContains(t, err, "at most 20")

	_, err = s.client.Batch(ctx, []graph.BatchRequest{{Method: "BREW", URL: "/users"}})
	require.ErrorContains(t, err, "unsupported method")

	// Envelope-level refusals fail the whole call with a typed error.
	for name, bad := range map[string][]graph.BatchRequest{
		"duplicate ids":      {{ID: "a", Method: "GET", URL: "/users"}, {ID: "a", Method: "GET", URL: "/groups"}},
		"unknown dependency": {{ID: "a", Method: "GET", URL: "/users", DependsOn: []string{"zz"}}},
	} {
		_, err := s.client.Batch(ctx, bad)
		requireGraphError(t, err, http.StatusBadRequest, "BadRequest")
		require.ErrorContains(t, err, "send batch", name)
	}
}

func TestBatchItemsThrottled(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1))
	ctx := testCtx(t)
	id := onlyUserID(t, s.client)
	require.NoError(t, s.srv.SetLimits(s.tenant.ID, graphsimLimits(3, -1)))

	var reqs []graph.BatchRequest
	for i := range 10 {
		reqs = append(reqs, graph.BatchRequest{Method: "PATCH", URL: "/users/" + id, Body: graph.Attributes{"jobTitle": fmt.Sprint(i)}})
	}
	res, err := s.client.Batch(ctx, reqs)
	require.NoError(t, err)
	throttled := 0
	for _, r := range res {
		if r.Status == http.StatusTooManyRequests {
			throttled++
			require.Positive(t, r.RetryAfter, "a throttled item carries Retry-After")
			require.True(t, graph.IsThrottled(r.Err))
			require.True(t, graph.IsTransient(r.Err))
		}
	}
	// The SDK does not retry inside a $batch: items past the budget come
	// back as 429 for the writer to re-send.
	require.Positive(t, throttled)
	require.Positive(t, s.srv.Stats(s.tenant.ID).Throttled)
}

func onlyUserID(t *testing.T, c *graph.Client) string {
	t.Helper()
	for id := range firstUsers(t, c, 1) {
		return id
	}
	return ""
}

func TestBatchBuilders(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(2))
	ctx := testCtx(t)
	existing := onlyUserID(t, s.client)

	res, err := s.client.Batch(ctx, []graph.BatchRequest{
		graph.CreateGroupRequest("g", graph.Attributes{
			"displayName": "Synced", "mailNickname": "synced", "securityEnabled": true, "mailEnabled": false,
		}),
		graph.InviteRequest("inv", graph.Invitation{Email: "kim@source.example", DisplayName: "Kim"}),
	})
	require.NoError(t, err)
	requireStatuses(t, res, map[string]int{"g": 201, "inv": 201})
	groupID := res[0].Body["id"].(string)
	userID := res[1].Body["invitedUser"].(map[string]any)["id"].(string)

	res, err = s.client.Batch(ctx, []graph.BatchRequest{
		s.client.AddMemberRequest("add1", groupID, userID),
		s.client.AddMemberRequest("add2", groupID, existing),
		withDeps(graph.RemoveMemberRequest("rm", groupID, existing), "add2"),
		graph.UpdateUserRequest("upd", userID, graph.Attributes{"department": "Sales"}),
		withDeps(graph.DeleteUserRequest("del", userID), "upd"),
		withDeps(graph.RestoreRequest("res", userID), "del"),
		graph.UpdateGroupRequest("updg", groupID, graph.Attributes{"description": "from source"}),
	})
	require.NoError(t, err)
	requireStatuses(t, res, map[string]int{"add1": 204, "add2": 204, "rm": 204, "upd": 204, "del": 204, "res": 200, "updg": 204})

	members, err := s.client.ListMemberIDs(ctx, groupID)
	require.NoError(t, err)
	require.Equal(t, []string{userID}, members)
	g, err := s.client.GetGroup(ctx, groupID, "id", "description")
	require.NoError(t, err)
	require.Equal(t, "from source", g.Description)
	u, err := s.client.GetUser(ctx, userID, "id", "department")
	require.NoError(t, err)
	require.Equal(t, "Sales", u.Attributes["department"])

	res, err = s.client.Batch(ctx, []graph.BatchRequest{graph.DeleteGroupRequest("dg", groupID)})
	require.NoError(t, err)
	requireStatuses(t, res, map[string]int{"dg": 204})
	_, err = s.client.GetGroup(ctx, groupID)
	require.True(t, graph.IsNotFound(err))
}

func withDeps(r graph.BatchRequest, deps ...string) graph.BatchRequest {
	r.DependsOn = deps
	return r
}

func requireStatuses(t *testing.T, res []graph.BatchResult, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, r := range res {
		got[r.ID] = r.Status
		if r.Err != nil {
			t.Logf("%s: %v", r.ID, r.Err)
		}
	}
	require.Equal(t, want, got)
}
