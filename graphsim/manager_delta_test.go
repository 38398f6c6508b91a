package graphsim

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// managerDelta is an item's manager@delta, or nil when absent.
func managerDelta(t *testing.T, item map[string]any) []any {
	t.Helper()
	raw, ok := item["manager@delta"]
	if !ok {
		return nil
	}
	list, ok := raw.([]any)
	require.True(t, ok, "manager@delta is a list: %v", raw)
	return list
}

func TestUserDeltaManager(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 6})
	ids := s.ten.UserIDs()
	boss, lead := ids[0], ids[1]
	for _, id := range []string{boss, lead, ids[5]} {
		require.NoError(t, s.ten.SetManager(id, "")) // generated users may have one
	}
	require.NoError(t, s.ten.SetManager(ids[2], boss))
	require.NoError(t, s.ten.SetManager(ids[3], boss))
	require.Equal(t, 204, s.do("PUT", "/users/"+ids[4]+"/manager/$ref",
		map[string]any{"@odata.id": s.srv.GraphURL() + "/directoryObjects/" + lead}).status)

	// Full read: every user with a manager carries it, the others nothing.
	r := s.do("GET", "/users/delta?$select=displayName,manager", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Contains(t, r.str("@odata.context"), "users(displayName,manager)")
	items, link := s.drainDelta(s.srv.GraphURL() + "/users/delta?$select=displayName,manager")
	got := byID(items)
	require.Len(t, got, 6)
	for id, want := range map[string]string{ids[2]: boss, ids[3]: boss, ids[4]: lead} {
		require.Equal(t, []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": want}},
			managerDelta(t, got[id]), "user %s", id)
	}
	for _, id := range []string{boss, lead, ids[5]} {
		require.NotContains(t, got[id], "manager@delta")
	}

	// Without manager in $select there is no manager@delta.
	plain, _ := s.drainDelta(s.srv.GraphURL() + "/users/delta?$select=displayName")
	for _, it := range plain {
		require.NotContains(t, it, "manager@delta")
	}

	// Changes: one manager changed (API), one removed (API), one set
	// (helper), one removed (helper); an unrelated edit shows no manager.
	require.Equal(t, 204, s.do("PUT", "/users/"+ids[2]+"/manager/$ref",
		map[string]any{"@odata.id": s.srv.GraphURL() + "/directoryObjects/" + lead}).status)
	require.Equal(t, 204, s.do("DELETE", "/users/"+ids[3]+"/manager/$ref", nil).status)
	require.NoError(t, s.ten.SetManager(ids[5], boss))
	require.NoError(t, s.ten.SetManager(ids[4], ""))
	require.Equal(t, 204, s.do("PATCH", "/users/"+boss, map[string]any{"displayName": "Boss"}).status)

	items, link = s.drainDelta(link)
	got = byID(items)
	require.Len(t, got, 5)
	user := func(id string, removed string) []any {
		m := map[string]any{"@odata.type": "#microsoft.graph.user", "id": id}
		if removed != "" {
			m["@removed"] = map[string]any{"reason": removed}
		}
		return []any{m}
	}
	require.Equal(t, user(lead, ""), managerDelta(t, got[ids[2]]))
	require.Equal(t, user(boss, "changed"), managerDelta(t, got[ids[3]]))
	require.Equal(t, user(boss, ""), managerDelta(t, got[ids[5]]))
	require.Equal(t, user(lead, "changed"), managerDelta(t, got[ids[4]]))
	require.Equal(t, "Boss", got[boss]["displayName"])
	require.NotContains(t, got[boss], "manager@delta")

	// A change that leaves the manager alone reports no manager@delta; a
	// removal whose former manager is gone says "deleted".
	require.Equal(t, 204, s.do("PATCH", "/users/"+ids[2], map[string]any{"displayName": "Two"}).status)
	require.NoError(t, s.ten.SetManager(ids[5], ""))
	require.NoError(t, s.ten.DeleteUser(boss))
	items, _ = s.drainDelta(link)
	got = byID(items)
	require.NotContains(t, got[ids[2]], "manager@delta")
	require.Equal(t, user(boss, "deleted"), managerDelta(t, got[ids[5]]))

	err := s.ten.SetManager(ids[2], "nobody")
	require.True(t, errors.Is(err, ErrNotFound), "%v", err)
}
