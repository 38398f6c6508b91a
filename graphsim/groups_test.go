package graphsim

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGroupCRUDAndMembers(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	a, b := s.createUser("a"), s.createUser("b")
	r := s.do("POST", "/groups", map[string]any{
		"displayName": "Engineers", "mailEnabled": false, "mailNickname": "eng", "securityEnabled": true,
		"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + a},
	})
	require.Equal(t, 201, r.status, "%s", r.raw)
	gid := r.str("id")
	require.Equal(t, s.srv.GraphURL()+"/$metadata#groups/$entity", r.str("@odata.context"))
	require.Equal(t, []any{}, r.body["groupTypes"])
	require.Equal(t, true, r.body["securityEnabled"])

	r = s.do("POST", "/groups", map[string]any{"displayName": "x"})
	require.Equal(t, 400, r.status)
	require.Equal(t, "Property mailEnabled value is required but is empty or missing.", r.errMessage())

	ref := map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + b}
	r = s.do("POST", "/groups/"+gid+"/members/$ref", ref)
	require.Equal(t, 204, r.status, "%s", r.raw)
	r = s.do("POST", "/groups/"+gid+"/members/$ref", ref)
	require.Equal(t, 400, r.status)
	require.Equal(t, codeBadRequest, r.errCode())
	require.Equal(t, "One or more added object references already exist for the following modified properties: 'members'.", r.errMessage())
	r = s.do("POST", "/groups/"+gid+"/members/$ref", map[string]any{"@odata.id": "https://example.test/v1.0/directoryObjects/nope"})
	require.Equal(t, 404, r.status)

	r = s.do("GET", "/groups/"+gid+"/members?$select=id,displayName", nil)
	require.Equal(t, 200, r.status)
	vals := r.values()
	require.Len(t, vals, 2)
	require.Equal(t, "#microsoft.graph.user", vals[0]["@odata.type"])
	require.Equal(t, a, vals[0]["id"])

	r = s.do("GET", "/users/"+b+"/memberOf", nil)
	require.Equal(t, 200, r.status)
	require.Len(t, r.values(), 1)
	require.Equal(t, "#microsoft.graph.group", r.values()[0]["@odata.type"])

	r = s.do("DELETE", "/groups/"+gid+"/members/"+a+"/$ref", nil)
	require.Equal(t, 204, r.status)
	r = s.do("DELETE", "/groups/"+gid+"/members/"+a+"/$ref", nil)
	require.Equal(t, 404, r.status)

	r = s.do("PATCH", "/groups/"+gid, map[string]any{"description": "d",
		"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/users/" + a}})
	require.Equal(t, 204, r.status, "%s", r.raw)
	g, _ := s.ten.Group(gid)
	require.Equal(t, "d", g.Description)
	require.ElementsMatch(t, []string{a, b}, g.Members)

	r = s.do("DELETE", "/groups/"+gid, nil)
	require.Equal(t, 204, r.status)
	r = s.do("GET", "/groups/"+gid, nil)
	require.Equal(t, 404, r.status)
}

func TestMembersPaging(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 30})
	ids := s.ten.UserIDs()
	g, err := s.ten.AddGroup(Group{DisplayName: "all", MailNickname: "all", SecurityEnabled: true, Members: ids})
	require.NoError(t, err)
	var got []string
	next := s.srv.GraphURL() + "/groups/" + g.ID + "/members?$top=7&$select=id"
	for next != "" {
		r := s.do("GET", next, nil)
		require.Equal(t, 200, r.status, "%s", r.raw)
		for _, v := range r.values() {
			got = append(got, v["id"].(string))
		}
		next = r.str("@odata.nextLink")
	}
	require.Equal(t, ids, got)
	r := s.do("GET", "/groups/"+g.ID+"/members?$count=true&$top=1", nil, "ConsistencyLevel: eventual")
	require.EqualValues(t, 30, r.body["@odata.count"])
}

func TestDeletedItemsLifecycle(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	uid := s.createUser("gone")
	gid := s.createGroup("team")
	require.Equal(t, 204, s.do("POST", "/groups/"+gid+"/members/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + uid}).status)
	require.Equal(t, 204, s.do("DELETE", "/users/"+uid, nil).status)
	g, _ := s.ten.Group(gid)
	require.Empty(t, g.Members, "deleted users leave their groups")

	r := s.do("GET", "/directory/deletedItems/microsoft.graph.user", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Len(t, r.values(), 1)
	require.Equal(t, uid, r.values()[0]["id"])

	r = s.do("GET", "/directory/deletedItems/"+uid+"?$select=id,deletedDateTime", nil)
	require.Equal(t, 200, r.status)
	require.Equal(t, "#microsoft.graph.user", r.body["@odata.type"])
	require.Equal(t, s.clock.Now().Format(graphTime), r.body["deletedDateTime"])

	r = s.do("POST", "/directory/deletedItems/"+uid+"/restore", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, uid, r.body["id"])
	g, _ = s.ten.Group(gid)
	require.Equal(t, []string{uid}, g.Members, "restore brings memberships back")
	require.Equal(t, 200, s.do("GET", "/users/"+uid, nil).status)

	// Groups are restorable too; permanent delete removes them for good.
	require.Equal(t, 204, s.do("DELETE", "/groups/"+gid, nil).status)
	r = s.do("GET", "/directory/deletedItems/microsoft.graph.group", nil)
	require.Len(t, r.values(), 1)
	require.Equal(t, 204, s.do("DELETE", "/directory/deletedItems/"+gid, nil).status)
	require.Equal(t, 404, s.do("POST", "/directory/deletedItems/"+gid+"/restore", nil).status)
	require.Equal(t, 404, s.do("GET", "/directory/deletedItems/nope", nil).status)
}

func TestDeletedItemsRetention(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	uid := s.createUser("old")
	require.Equal(t, 204, s.do("DELETE", "/users/"+uid, nil).status)
	s.clock.Advance(29 * 24 * 60 * 60 * 1e9)
	s.token = s.fetchToken(s.ten.Info())
	require.Equal(t, 200, s.do("GET", "/directory/deletedItems/"+uid, nil).status)
	s.clock.Advance(2 * 24 * 60 * 60 * 1e9)
	s.token = s.fetchToken(s.ten.Info())
	require.Equal(t, 404, s.do("GET", "/directory/deletedItems/"+uid, nil).status)
	require.Equal(t, 0, s.ten.DeletedCount())
	// A UPN freed by the purge can be reused.
	s.createUser("old")
}

// TestSDKPathForms covers the URL shapes msgraph-sdk-go generates: short
// type casts (graph.user) and member removal by @id.
func TestSDKPathForms(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	u := s.createUser("u")
	gid, sub := s.createGroup("g"), s.createGroup("sub")
	for _, id := range []string{u, sub} {
		require.Equal(t, 204, s.do("POST", "/groups/"+gid+"/members/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}).status)
	}
	r := s.do("GET", "/groups/"+gid+"/members/graph.user", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Len(t, r.values(), 1)
	r = s.do("GET", "/groups/"+gid+"/members/microsoft.graph.group/$count", nil, "ConsistencyLevel: eventual")
	require.Equal(t, "1", string(r.raw))
	r = s.do("GET", "/users/"+u+"/memberOf/graph.group?$select=id", nil)
	require.Equal(t, 200, r.status)
	require.Len(t, r.values(), 1)
	r = s.do("GET", "/users/"+u+"/memberOf/$count", nil, "ConsistencyLevel: eventual")
	require.Equal(t, "1", string(r.raw))
	r = s.do("DELETE", "/groups/"+gid+"/members/$ref?@id="+url.QueryEscape("https://graph.microsoft.com/v1.0/directoryObjects/"+u), nil)
	require.Equal(t, 204, r.status, "%s", r.raw)
	require.Equal(t, 204, s.do("DELETE", "/users/"+u, nil).status)
	r = s.do("GET", "/directory/deletedItems/graph.user", nil)
	require.Len(t, r.values(), 1)
	require.Equal(t, 200, s.do("GET", "/directory/deletedItems/"+u+"/graph.user", nil).status)
	require.Equal(t, 404, s.do("GET", "/directory/deletedItems/"+u+"/graph.group", nil).status)
	require.Equal(t, 0, len(s.do("GET", "/directory/deletedItems/graph.group", nil).values()))
}
