package graphsim

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// TestEqIndexAnswersAsTheScan: the filters the index serves answer what a
// scan of every user answers, for seeded, created, patched, duplicated and
// deleted users, whatever the letter case of the value.
func TestEqIndexAnswersAsTheScan(t *testing.T) {
	srv, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{Users: 300, Seed: 7,
		Limits: Limits{ReadsPerMinute: -1, WritesPerMinute: -1}}}})
	require.NoError(t, err)
	defer srv.Close()
	ten := srv.Tenants()[0]
	ids := ten.UserIDs()
	// A second user with the mail of another (Graph allows it on guests),
	// one whose mail changes, one deleted, one with other mails.
	u0, _ := ten.User(ids[1])
	dup, err := ten.AddUser(User{UserPrincipalName: "dup@" + ten.Domain(), Mail: strings.ToUpper(u0.Mail), MailNickname: "dup", DisplayName: "Dup", AccountEnabled: true})
	require.NoError(t, err)
	require.NoError(t, ten.UpdateUser(ids[2], func(u *User) {
		u.Mail = "moved@elsewhere.example"
		u.OtherMails = []string{"Alias@Elsewhere.example", u.Mail}
	}))
	u3, _ := ten.User(ids[3])
	require.NoError(t, ten.DeleteUser(ids[3]))

	filters := []string{
		"mail eq '" + u0.Mail + "'",
		"mail eq '" + strings.ToUpper(u0.Mail) + "'",
		"mail eq 'moved@elsewhere.example'",
		"mail eq '" + u3.Mail + "'",
		"userPrincipalName eq '" + dup.UserPrincipalName + "'",
		"otherMails/any(x:x eq 'alias@elsewhere.example')",
		"otherMails/any(x:x eq 'nobody@nowhere.example')",
		"mail eq 'nobody@nowhere.example'",
	}
	for _, f := range filters {
		pf, err := odata.ParseFilter(f)
		require.NoError(t, err)
		_, _, ok := pf.EqualityKey()
		require.True(t, ok, "%s is an indexed shape", f)

		got := inProcess(srv, ten, "GET", "/users", "$select=id&$filter="+url.QueryEscape(f))
		require.Equal(t, 200, got.status, "%s: %s", f, got.body)
		// The same filter OR'ed with a false clause is not an indexed
		// shape: the scan's answer.
		want := inProcess(srv, ten, "GET", "/users", "$select=id&$filter="+url.QueryEscape("("+f+") or displayName eq 'zz-none-zz'"))
		require.Equal(t, 200, want.status, "%s: %s", f, want.body)
		require.Equal(t, idsIn(string(want.body)), idsIn(string(got.body)), f)
	}
}

func idsIn(body string) []string {
	var out []string
	for _, p := range strings.Split(body, `"id":"`)[1:] {
		out = append(out, p[:strings.IndexByte(p, '"')])
	}
	return out
}

// BenchmarkFilterMailEq300k: the writer's lookup before a create, against
// 300k users (an index lookup, not a scan).
func BenchmarkFilterMailEq300k(b *testing.B) {
	srv, ten := benchSim(b, scaleUsers, 0)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range []string{"mail eq 'nobody@nowhere.example'", "otherMails/any(x:x eq 'nobody@nowhere.example')"} {
			if r := inProcess(srv, ten, "GET", "/users", "$filter="+url.QueryEscape(f)); r.status != 200 {
				b.Fatalf("status %d: %s", r.status, r.body)
			}
		}
	}
}
