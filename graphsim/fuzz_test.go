package graphsim

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Fuzz targets for every request decoder. Run one with e.g.
// go test -fuzz=FuzzGraphRequest -fuzztime=30s ./graphsim

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `[`, `null`, `{"accountEnabled":"x"}`, "\xff", `{"a":{"b":[1,2,{}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, e := decodeObject(b)
		if e == nil {
			u := &User{}
			_ = applyProps(u, userSchema, o, "User")
			_ = userSchema.appendObject(nil, u, userSchema.all, nil)
			g := &Group{}
			_ = applyProps(g, groupSchema, o, "Group")
		}
	})
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(`{"requests":[{"id":"1","method":"GET","url":"/users"}]}`))
	f.Add([]byte(`{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"GET","url":"https://x/v1.0/me","dependsOn":["1"]}]}`))
	f.Add([]byte(`{"requests":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		reqs, e := parseBatch(b)
		if e == nil && (len(reqs) == 0 || len(reqs) > maxBatch) {
			t.Fatalf("accepted %d requests", len(reqs))
		}
		for _, r := range reqs {
			relativeURL(r.URL)
		}
	})
}

func FuzzPageToken(f *testing.F) {
	c := tokenCodec{key: []byte("k")}
	f.Add(c.encode(pageToken{Kind: "users", Tenant: "t", After: 5}))
	f.Add(c.encode(pageToken{Kind: "udelta", Tenant: "t", Phase: 'c', After: 9, From: 3, Sel: "a,b|c", Issued: 1}))
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := c.decode(s, "udelta", "t")
		if !ok {
			return
		}
		again, ok := c.decode(c.encode(tok), "udelta", "t")
		if !ok || again != tok {
			t.Fatalf("round trip changed %+v to %+v", tok, again)
		}
	})
}

func FuzzRefID(f *testing.F) {
	f.Add("https://graph.microsoft.com/v1.0/directoryObjects/abc")
	f.Add("directoryObjects('x')")
	f.Fuzz(func(t *testing.T, s string) { refID(s) })
}

// FuzzGraphRequest drives the whole router in process: no input may panic,
// and every answer must be a status with a body or 204.
func FuzzGraphRequest(f *testing.F) {
	srv, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{Users: 20, Groups: 3}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	ten := srv.Tenants()[0]
	uid := ten.UserIDs()[0]
	gid := ten.GroupIDs()[0]
	seeds := []struct{ method, path, query, body string }{
		{"GET", "/users", "$top=3&$select=id,displayName&$filter=startswith(displayName,'A')", ""},
		{"GET", "/users/" + uid, "$select=manager", ""},
		{"GET", "/users/" + uid + "/memberOf", "", ""},
		{"GET", "/users/" + uid + "/memberOf/graph.group/$count", "", ""},
		{"GET", "/groups/" + gid + "/members/graph.user", "$top=2", ""},
		{"DELETE", "/groups/" + gid + "/members/$ref", "@id=https://x/directoryObjects/" + uid, ""},
		{"GET", "/directory/deletedItems/graph.user", "", ""},
		{"PATCH", "/users/" + uid, "", `{"department":"x","businessPhones":null}`},
		{"POST", "/users", "", `{"accountEnabled":true}`},
		{"GET", "/users/delta", "$deltatoken=latest", ""},
		{"GET", "/groups/delta", "$select=members", ""},
		{"POST", "/groups/" + gid + "/members/$ref", "", `{"@odata.id":"https://x/v1.0/directoryObjects/` + uid + `"}`},
		{"DELETE", "/groups/" + gid + "/members/" + uid + "/$ref", "", ""},
		{"POST", "/invitations", "", `{"invitedUserEmailAddress":"a@b.c","inviteRedirectUrl":"https://a"}`},
		{"POST", "/$batch", "", `{"requests":[{"id":"1","method":"GET","url":"/users?$top=1"}]}`},
		{"PUT", "/policies/crossTenantAccessPolicy/partners/x/identitySynchronization", "", `{"userSyncInbound":{"isSyncAllowed":true}}`},
		{"POST", "/directory/deletedItems/" + uid + "/restore", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		rc := &reqCtx{ctx: context.Background(), s: srv, t: ten, app: ten.info.ClientID, method: method,
			header: http.Header{"Consistencylevel": {"eventual"}}, now: time.Now(), reqID: "r", clientReqID: "c", body: body}
		rc.setPath(path, query)
		var resp *response
		if method == "POST" && len(rc.segs) == 1 && rc.segs[0] == "$batch" {
			resp = srv.handleBatch(rc)
		} else {
			resp = srv.route(rc)
		}
		resp.finalize(rc.now, rc.reqID, rc.clientReqID)
		if resp.status < 200 || resp.status > 599 || (resp.status != 204 && len(resp.body) == 0) {
			t.Fatalf("%s %s?%s: status %d body %q", method, path, query, resp.status, resp.body)
		}
	})
}
