package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestListUsersPagesThroughAll(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(2500))
	ctx := testCtx(t)

	seen := map[string]bool{}
	before := s.srv.Stats(s.tenant.ID).Reads
	err := s.client.ListUsers(ctx, graph.Query{Top: 999, Select: []string{"id", "displayName", "userPrincipalName"}},
		func(u graph.User) error {
			require.NotEmpty(t, u.ID)
			require.False(t, seen[u.ID], "duplicate %s", u.ID)
			seen[u.ID] = true
			require.NotEmpty(t, u.UserPrincipalName)
			return nil
		})
	require.NoError(t, err)
	require.Len(t, seen, 2500)
	// 2500 users at 999 a page: three GETs, the page iterator following
	// @odata.nextLink twice.
	require.EqualValues(t, 3, s.srv.Stats(s.tenant.ID).Reads-before)
}

func TestListUsersStopEarly(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(50))
	n := 0
	err := s.client.ListUsers(testCtx(t), graph.Query{Top: 10}, func(graph.User) error {
		n++
		if n == 15 {
			return graph.Stop
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 15, n)
}

func TestSelectAndFilter(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(30))
	ctx := testCtx(t)

	var all []graph.User
	require.NoError(t, s.client.ListUsers(ctx, graph.Query{}, func(u graph.User) error {
		all = append(all, u)
		return nil
	}))
	require.NotEmpty(t, all)
	target := all[3]

	// $select returns only what was asked (plus id, as Graph does).
	u, err := s.client.GetUser(ctx, target.ID, "displayName", "userPrincipalName")
	require.NoError(t, err)
	require.Equal(t, target.DisplayName, u.DisplayName)
	require.Equal(t, target.UserPrincipalName, u.UserPrincipalName)
	require.Empty(t, u.Mail)
	for k := range u.Attributes {
		require.Contains(t, []string{"id", "displayName", "userPrincipalName"}, k)
	}

	// $filter by equality, as the writer matches existing users.
	found, err := s.client.FindUsers(ctx, graph.Query{
		Filter: "userPrincipalName eq '" + target.UserPrincipalName + "'", Select: []string{"id", "userPrincipalName"},
	})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, target.ID, found[0].ID)

	found, err = s.client.FindUsers(ctx, graph.Query{
		Filter: "startswith(displayName,'" + strings.ReplaceAll(target.DisplayName[:3], "'", "''") + "')",
	})
	require.NoError(t, err)
	require.NotEmpty(t, found)
	for _, f := range found {
		require.True(t, strings.HasPrefix(strings.ToLower(f.DisplayName), strings.ToLower(target.DisplayName[:3])))
	}

	// endsWith is an advanced query: refused without ConsistencyLevel
	// and $count, answered with them.
	suffix := "'@" + s.tenant.Domain + "'"
	_, err = s.client.FindUsers(ctx, graph.Query{Filter: "endsWith(userPrincipalName," + suffix + ")"})
	requireGraphError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")
	found, err = s.client.FindUsers(ctx, graph.Query{Filter: "endsWith(userPrincipalName," + suffix + ")", Advanced: true})
	require.NoError(t, err)
	require.Len(t, found, len(all), "every seeded member is in the tenant's domain")
}

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)
	upn := "ada@" + s.tenant.Domain

	created, err := s.client.CreateUser(ctx, graph.Attributes{
		"accountEnabled":    true,
		"displayName":       "Ada Lovelace",
		"mailNickname":      "ada",
		"userPrincipalName": upn,
		"department":        "Engines",
		"passwordProfile":   map[string]any{"password": "Xy!12345678", "forceChangePasswordNextSignIn": false},
	})
	require.NoError(t, err)
	require.NotEmpty(t, created.ID)
	require.Equal(t, upn, created.UserPrincipalName)

	// PATCH only what changed; a nil clears a property.
	require.NoError(t, s.client.UpdateUser(ctx, created.ID, graph.Attributes{"jobTitle": "Analyst", "department": nil}))
	got, err := s.client.GetUser(ctx, created.ID, "id", "jobTitle", "department", "displayName")
	require.NoError(t, err)
	require.Equal(t, "Analyst", got.Attributes["jobTitle"])
	require.Equal(t, "Ada Lovelace", got.DisplayName)
	v, present := got.Attributes["department"]
	require.True(t, present, "a selected null property is kept as nil")
	require.Nil(t, v)

	// A second create with the same UPN conflicts.
	_, err = s.client.CreateUser(ctx, graph.Attributes{
		"accountEnabled": true, "displayName": "Dup", "mailNickname": "ada2", "userPrincipalName": upn,
		"passwordProfile": map[string]any{"password": "Xy!12345678"},
	})
	requireGraphError(t, err, http.StatusBadRequest, "Request_BadRequest")
	require.True(t, graph.IsAlreadyExists(err))
	require.False(t, graph.IsConflict(err), "Graph says 400 here, not 409")

	require.NoError(t, s.client.DeleteUser(ctx, created.ID))
	_, err = s.client.GetUser(ctx, created.ID)
	requireGraphError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	require.True(t, graph.IsNotFound(err))
}

// requireGraphError asserts err is a mapped *graph.Error with the status and
// Graph code, carrying a request id.
func requireGraphError(t *testing.T, err error, status int, code string) *graph.Error {
	t.Helper()
	require.Error(t, err)
	var ge *graph.Error
	require.ErrorAs(t, err, &ge, "%v", err)
	require.Equal(t, status, ge.Status, "%v", err)
	if code != "" {
		require.Equal(t, code, ge.Code, "%v", err)
	}
	require.NotEmpty(t, ge.Message)
	require.NotEmpty(t, ge.RequestID)
	return ge
}

// TestConcurrentUse shares one Client between goroutines, as the writer's
// workers do.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(40))
	ctx := testCtx(t)
	users := firstUsers(t, s.client, 20)

	var wg sync.WaitGroup
	errs := make(chan error, len(users)*2)
	for id := range users {
		wg.Go(func() {
			if err := s.client.UpdateUser(ctx, id, graph.Attributes{"jobTitle": "Worker " + id[:4]}); err != nil {
				errs <- err
				return
			}
			u, err := s.client.GetUser(ctx, id, "id", "jobTitle")
			if err != nil {
				errs <- err
				return
			}
			if u.Attributes["jobTitle"] != "Worker "+id[:4] {
				errs <- fmt.Errorf("user %s: jobTitle %v", id, u.Attributes["jobTitle"])
			}
		})
		wg.Go(func() {
			if err := s.client.ListUsers(ctx, graph.Query{Top: 7, Select: []string{"id"}}, func(graph.User) error { return nil }); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, s.srv.Stats(s.tenant.ID).Tokens, "one token for all goroutines")
}
