package graphsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// drainDelta follows nextLinks from url and returns all items and the
// final deltaLink.
func (s *sim) drainDelta(url string, headers ...string) ([]map[string]any, string) {
	s.t.Helper()
	var items []map[string]any
	for {
		r := s.do("GET", url, nil, headers...)
		require.Equal(s.t, 200, r.status, "%s", r.raw)
		items = append(items, r.values()...)
		if next := r.str("@odata.nextLink"); next != "" {
			require.NotContains(s.t, r.body, "@odata.deltaLink")
			url = next
			continue
		}
		dl := r.str("@odata.deltaLink")
		require.NotEmpty(s.t, dl)
		return items, dl
	}
}

func byID(items []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, it := range items {
		out[it["id"].(string)] = it
	}
	return out
}

func TestUserDelta(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 25})
	items, link := s.drainDelta(s.srv.GraphURL()+"/users/delta?$select=displayName,department", "Prefer: odata.maxpagesize=10")
	require.Len(t, items, 25)
	require.Len(t, items[0], 3)

	// No changes: empty page with a new deltaLink.
	items, link = s.drainDelta(link)
	require.Empty(t, items)

	ids := s.ten.UserIDs()
	require.Equal(t, 204, s.do("PATCH", "/users/"+ids[0], map[string]any{"department": "Legal"}).status)
	require.Equal(t, 204, s.do("PATCH", "/users/"+ids[0], map[string]any{"department": "Finance"}).status)
	require.Equal(t, 204, s.do("DELETE", "/users/"+ids[1], nil).status)
	require.Equal(t, 204, s.do("DELETE", "/users/"+ids[2], nil).status)
	require.Equal(t, 204, s.do("DELETE", "/directory/deletedItems/"+ids[2], nil).status)
	newID := s.createUser("newbie")

	items, link = s.drainDelta(link)
	got := byID(items)
	require.Len(t, items, 4, "collapsed to one entry per object: %v", items)
	require.Equal(t, "Finance", got[ids[0]]["department"])
	require.Equal(t, map[string]any{"id": ids[1], "@removed": map[string]any{"reason": "changed"}}, got[ids[1]])
	require.Equal(t, map[string]any{"id": ids[2], "@removed": map[string]any{"reason": "deleted"}}, got[ids[2]])
	require.Equal(t, "newbie", got[newID]["displayName"])
	require.Contains(t, got[newID], "department", "the initial $select carries over")

	// A restored user reappears in full.
	require.Equal(t, 200, s.do("POST", "/directory/deletedItems/"+ids[1]+"/restore", nil).status)
	items, _ = s.drainDelta(link)
	require.Len(t, items, 1)
	require.Equal(t, ids[1], items[0]["id"])
	require.NotContains(t, items[0], "@removed")
}

func TestDeltaTokens(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 5})
	r := s.do("GET", "/users/delta?$deltatoken=latest", nil)
	require.Equal(t, 200, r.status)
	require.Empty(t, r.values())
	link := r.str("@odata.deltaLink")
	require.NotEmpty(t, link)
	s.createUser("after")
	items, _ := s.drainDelta(link)
	require.Len(t, items, 1)

	r = s.do("GET", "/users/delta?$deltatoken=bogus", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, codeSyncStateNotFound, r.errCode())
	// A users token is not a groups token.
	r = s.do("GET", "/groups/delta?"+link[len(s.srv.GraphURL()+"/users/delta?"):], nil)
	require.Equal(t, 400, r.status)

	// Delta links expire after seven days, like Graph's identity resources.
	s.clock.Advance(8 * 24 * time.Hour)
	s.token = s.fetchToken(s.ten.Info())
	r = s.do("GET", link, nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, codeSyncStateNotFound, r.errCode())
	// Past the deleted-items retention the history is gone: 410 Gone.
	s.clock.Advance(32 * 24 * time.Hour)
	s.token = s.fetchToken(s.ten.Info())
	r = s.do("GET", link, nil)
	require.Equal(t, 410, r.status)
	require.Equal(t, "resyncRequired", r.errCode())
}

func TestGroupDeltaMembers(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 4})
	ids := s.ten.UserIDs()
	g, err := s.ten.AddGroup(Group{DisplayName: "g", MailNickname: "g", SecurityEnabled: true, Members: ids[:2]})
	require.NoError(t, err)
	items, link := s.drainDelta(s.srv.GraphURL() + "/groups/delta?$select=displayName,members")
	require.Len(t, items, 1)
	md := items[0]["members@delta"].([]any)
	require.Len(t, md, 2)
	require.Equal(t, map[string]any{"@odata.type": "#microsoft.graph.user", "id": ids[0]}, md[0])

	require.NoError(t, s.ten.AddMember(g.ID, ids[2]))
	require.Equal(t, 204, s.do("DELETE", "/groups/"+g.ID+"/members/"+ids[0]+"/$ref", nil).status)
	items, link = s.drainDelta(link)
	require.Len(t, items, 1)
	require.ElementsMatch(t, []any{
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": ids[2]},
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": ids[0], "@removed": map[string]any{"reason": "deleted"}},
	}, items[0]["members@delta"])

	// Without members in $select there is no members@delta.
	items, _ = s.drainDelta(s.srv.GraphURL() + "/groups/delta")
	require.NotContains(t, items[0], "members@delta")

	require.Equal(t, 204, s.do("DELETE", "/groups/"+g.ID, nil).status)
	items, _ = s.drainDelta(link)
	require.Equal(t, []map[string]any{{"id": g.ID, "@removed": map[string]any{"reason": "changed"}}}, items)
}
