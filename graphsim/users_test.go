package graphsim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListUsersDefaultShape(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 3, Seed: 7})
	r := s.do("GET", "/users", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, s.srv.GraphURL()+"/$metadata#users", r.str("@odata.context"))
	require.NotContains(t, r.body, "@odata.nextLink")
	vals := r.values()
	require.Len(t, vals, 3)
	keys := make([]string, 0, len(vals[0]))
	for k := range vals[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Graph v1.0's default user property set.
	require.Equal(t, []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName"}, keys)
	require.Nil(t, vals[0]["mobilePhone"])
	require.Equal(t, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", r.header.Get("Content-Type"))
	require.NotEmpty(t, r.header.Get("request-id"))
}

func TestListUsersSelectFilterCount(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 50, Seed: 1})
	tests := []struct {
		name    string
		query   string
		headers []string
		status  int
		code    string
		check   func(t *testing.T, r res)
	}{
		{name: "select", query: "$select=displayName,accountEnabled", status: 200, check: func(t *testing.T, r res) {
			require.Equal(t, s.srv.GraphURL()+"/$metadata#users(displayName,accountEnabled)", r.str("@odata.context"))
			require.Len(t, r.values()[0], 3) // plus id
			require.Contains(t, r.values()[0], "accountEnabled")
		}},
		{name: "select unknown", query: "$select=displayName,shoeSize", status: 400, code: "BadRequest"},
		{name: "top too big", query: "$top=1000", status: 400, code: "BadRequest"},
		{name: "filter eq", query: "$filter=" + url.QueryEscape("userPrincipalName eq '"+s.firstUPN()+"'"), status: 200, check: func(t *testing.T, r res) {
			require.Len(t, r.values(), 1)
		}},
		{name: "filter startswith", query: "$filter=" + url.QueryEscape("startswith(displayName,'zzz')"), status: 200, check: func(t *testing.T, r res) {
			require.Empty(t, r.values())
		}},
		{name: "filter syntax", query: "$filter=" + url.QueryEscape("displayName eq"), status: 400},
		{name: "filter unknown property", query: "$filter=" + url.QueryEscape("shoeSize eq 3"), status: 400},
		{name: "count needs header", query: "$count=true", status: 400, code: codeBadRequest},
		{name: "count", query: "$count=true&$top=5", headers: []string{"ConsistencyLevel: eventual"}, status: 200, check: func(t *testing.T, r res) {
			require.EqualValues(t, 50, r.body["@odata.count"])
			require.Len(t, r.values(), 5)
			require.Contains(t, r.body, "@odata.nextLink")
		}},
		{name: "advanced filter needs header", query: "$filter=" + url.QueryEscape("department ne 'Sales'"), status: 400, code: codeUnsupportedQuery},
		{name: "advanced filter", query: "$count=true&$filter=" + url.QueryEscape("department ne 'Sales'"), headers: []string{"ConsistencyLevel: eventual"}, status: 200},
		{name: "orderby", query: "$orderby=displayName&$top=50", status: 200, check: func(t *testing.T, r res) {
			var names []string
			for _, v := range r.values() {
				names = append(names, v["displayName"].(string))
			}
			require.True(t, sort.SliceIsSorted(names, func(i, j int) bool { return lowerStr(names[i]) < lowerStr(names[j]) }), names)
		}},
		{name: "orderby unsupported", query: "$orderby=city", status: 400, code: codeUnsupportedQuery},
		{name: "bad skiptoken", query: "$skiptoken=garbage", status: 400, code: codeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("GET", "/users?"+tc.query, nil, tc.headers...)
			require.Equal(t, tc.status, r.status, "%s", r.raw)
			if tc.code != "" {
				require.Equal(t, tc.code, r.errCode(), "%s", r.raw)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func lowerStr(s string) string { return lower(s) }

func (s *sim) firstUPN() string {
	u, _ := s.ten.User(s.ten.UserIDs()[0])
	return u.UserPrincipalName
}

func TestListUsersPaging(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 250})
	seen := map[string]bool{}
	next := s.srv.GraphURL() + "/users?$top=100&$select=id"
	pages := 0
	for next != "" {
		r := s.do("GET", next, nil)
		require.Equal(t, 200, r.status, "%s", r.raw)
		for _, v := range r.values() {
			id := v["id"].(string)
			require.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
		}
		next = r.str("@odata.nextLink")
		pages++
		if pages == 2 {
			// A delete between pages neither repeats nor skips others.
			require.NoError(t, s.ten.DeleteUser(s.ten.UserIDs()[0]))
		}
	}
	require.Equal(t, 3, pages)
	require.Len(t, seen, 250)
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	tests := []struct {
		name   string
		mutate func(map[string]any)
		raw    string
		status int
		code   string
		msg    string
	}{
		{name: "ok", mutate: func(map[string]any) {}, status: 201},
		{name: "missing mailNickname", mutate: func(b map[string]any) { delete(b, "mailNickname") }, status: 400, code: codeBadRequest,
			msg: "Property mailNickname value is required but is empty or missing."},
		{name: "missing passwordProfile", mutate: func(b map[string]any) { delete(b, "passwordProfile") }, status: 400, code: codeBadRequest,
			msg: "Property passwordProfile value is required but is empty or missing."},
		{name: "unknown property", mutate: func(b map[string]any) { b["shoeSize"] = 44 }, status: 400, code: codeBadRequest,
			msg: "Property 'shoeSize' does not exist as a declared property or extension property."},
		{name: "wrong type", mutate: func(b map[string]any) { b["accountEnabled"] = "yes" }, status: 400, code: codeBadRequest,
			msg: "Invalid value specified for property 'accountEnabled' of resource 'User'."},
		{name: "read-only", mutate: func(b map[string]any) { b["createdDateTime"] = "2020-01-01T00:00:00Z" }, status: 400, code: codeBadRequest},
		{name: "foreign domain", mutate: func(b map[string]any) { b["userPrincipalName"] = "x@elsewhere.example" }, status: 400, code: codeBadRequest},
		{name: "invalid json", raw: `{"displayName":`, status: 400, code: "BadRequest",
			msg: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."},
		{name: "not an object", raw: `[1,2]`, status: 400, code: "BadRequest"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.raw != "" {
				body = tc.raw
			} else {
				b := newUserBody(s, "val"+string(rune('a'+i)))
				tc.mutate(b)
				body = b
			}
			r := s.do("POST", "/users", body)
			require.Equal(t, tc.status, r.status, "%s", r.raw)
			if tc.code != "" {
				require.Equal(t, tc.code, r.errCode())
			}
			if tc.msg != "" {
				require.Equal(t, tc.msg, r.errMessage())
			}
		})
	}
}

func TestUserCRUD(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	id := s.createUser("alice")
	upn := "alice@" + s.ten.Domain()

	r := s.do("POST", "/users", newUserBody(s, "alice"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "Another object with the same value for property userPrincipalName already exists.", r.errMessage())

	r = s.do("GET", "/users/"+upn+"?$select=id,accountEnabled,userType,displayName", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, map[string]any{
		"@odata.context": s.srv.GraphURL() + "/$metadata#users(id,accountEnabled,userType,displayName)/$entity",
		"id":             id, "accountEnabled": true, "userType": "Member", "displayName": "alice",
	}, r.body)

	r = s.do("PATCH", "/users/"+id, map[string]any{"department": "Legal", "jobTitle": nil, "businessPhones": []string{"+1 555"}})
	require.Equal(t, 204, r.status, "%s", r.raw)
	require.Empty(t, r.raw)
	u, ok := s.ten.User(id)
	require.True(t, ok)
	require.Equal(t, "Legal", u.Department)
	require.Equal(t, []string{"+1 555"}, u.BusinessPhones)

	r = s.do("PATCH", "/users/"+id, map[string]any{"userPrincipalName": "bob@" + s.ten.Domain()})
	require.Equal(t, 204, r.status)
	_, ok = s.ten.UserByUPN("bob@" + s.ten.Domain())
	require.True(t, ok)

	r = s.do("DELETE", "/users/"+id, nil)
	require.Equal(t, 204, r.status)
	r = s.do("GET", "/users/"+id, nil)
	require.Equal(t, 404, r.status)
	require.Equal(t, codeNotFound, r.errCode())
	require.Equal(t, "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.", r.errMessage())
	r = s.do("PATCH", "/users/"+id, map[string]any{})
	require.Equal(t, 404, r.status)
	require.Equal(t, 1, s.ten.DeletedCount())
}

func TestUserManager(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	boss, emp := s.createUser("boss"), s.createUser("emp")
	r := s.do("GET", "/users/"+emp+"/manager", nil)
	require.Equal(t, 404, r.status)
	r = s.do("PUT", "/users/"+emp+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + boss})
	require.Equal(t, 204, r.status, "%s", r.raw)
	r = s.do("GET", "/users/"+emp+"/manager?$select=id,displayName", nil)
	require.Equal(t, 200, r.status)
	require.Equal(t, "#microsoft.graph.user", r.body["@odata.type"])
	require.Equal(t, boss, r.body["id"])
	r = s.do("DELETE", "/users/"+emp+"/manager/$ref", nil)
	require.Equal(t, 204, r.status)
	r = s.do("PUT", "/users/"+emp+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/nope"})
	require.Equal(t, 404, r.status)
}

func TestCountEndpoint(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Users: 12, Groups: 3})
	r := s.do("GET", "/users/$count", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, codeUnsupportedQuery, r.errCode())
	r = s.do("GET", "/users/$count", nil, "ConsistencyLevel: eventual")
	require.Equal(t, 200, r.status)
	require.Equal(t, "12", string(r.raw))
	r = s.do("GET", "/groups/$count", nil, "ConsistencyLevel: eventual")
	require.Equal(t, "3", string(r.raw))
}

func TestUnknownPathsAndMethods(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/nothing"}, {"GET", "/users/x/y/z"}, {"PUT", "/users"}, {"GET", ""}, {"POST", "/users/delta"},
	} {
		r := s.do(tc.method, tc.path, nil)
		require.GreaterOrEqual(t, r.status, 400, "%s %s", tc.method, tc.path)
		require.NotEmpty(t, r.errCode(), "%s %s: %s", tc.method, tc.path, r.raw)
	}
}

func TestGzipRequestBody(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	raw, err := json.Marshal(newUserBody(s, "zipped"))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	req, err := http.NewRequest("POST", s.srv.GraphURL()+"/users", &buf)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := s.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 201, resp.StatusCode)
	_, ok := s.ten.UserByUPN("zipped@" + s.ten.Domain())
	require.True(t, ok)
}

func TestExpandManager(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	boss, emp := s.createUser("boss"), s.createUser("emp")
	require.NoError(t, s.ten.UpdateUser(emp, func(u *User) { u.ManagerID = boss }))
	r := s.do("GET", "/users/"+emp+"?$select=id&$expand=manager($select=id,displayName)", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, map[string]any{"@odata.type": "#microsoft.graph.user", "id": boss, "displayName": "boss"}, r.body["manager"])
	r = s.do("GET", "/users?$select=id&$expand=manager", nil)
	require.Equal(t, 200, r.status)
	byID := map[string]map[string]any{}
	for _, v := range r.values() {
		byID[v["id"].(string)] = v
	}
	require.NotContains(t, byID[boss], "manager")
	require.Equal(t, boss, byID[emp]["manager"].(map[string]any)["id"])
	require.Equal(t, 400, s.do("GET", "/users?$expand=memberOf", nil).status)
}
