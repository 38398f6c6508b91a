package odata_test

import (
	"testing"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// benchUser is a struct-backed Getter like the simulator's store: values are
// pre-boxed so Get itself does not allocate.
type benchUser struct {
	displayName, mail, userType any
	accountEnabled              any
	otherMails, proxyAddrs      any
	identities                  any
}

func (u *benchUser) Get(p string) (any, bool) {
	switch p {
	case "displayName":
		return u.displayName, true
	case "mail":
		return u.mail, true
	case "userType":
		return u.userType, true
	case "accountEnabled":
		return u.accountEnabled, true
	case "otherMails":
		return u.otherMails, true
	case "proxyAddresses":
		return u.proxyAddrs, true
	case "identities":
		return u.identities, true
	}
	return nil, false
}

func BenchmarkMatch(b *testing.B) {
	u := &benchUser{
		displayName:    "Søren Kierkegaard",
		mail:           "soren.kierkegaard@contoso.com",
		userType:       "Member",
		accountEnabled: true,
		otherMails:     []string{"sk@fabrikam.com", "soren@example.org", "s.k@example.net"},
		proxyAddrs:     []string{"SMTP:soren.kierkegaard@contoso.com", "smtp:sk@contoso.onmicrosoft.com"},
		identities: []map[string]any{
			{"signInType": "userPrincipalName", "issuer": "contoso.com", "issuerAssignedId": "soren.kierkegaard@contoso.com"},
		},
	}
	filters := map[string]string{
		"eq":          "userType eq 'member'",
		"and-or":      "accountEnabled eq true and (userType eq 'Guest' or startswith(displayName,'sør'))",
		"in":          "userType in ('Guest','Partner','Vendor','Member')",
		"any-string":  "otherMails/any(m:m eq 's.k@example.net')",
		"any-prefix":  "proxyAddresses/any(x:startswith(x,'smtp:sk@'))",
		"any-complex": "identities/any(i:i/issuer eq 'contoso.com' and i/issuerAssignedId eq 'soren.kierkegaard@contoso.com')",
		"endswith":    "endswith(mail,'@CONTOSO.COM')",
	}
	for name, src := range filters {
		f, err := odata.ParseFilter(src)
		if err != nil {
			b.Fatal(err)
		}
		if !f.Match(u) {
			b.Fatalf("%s: %q does not match", name, src)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(u)
			}
		})
	}
}

func BenchmarkParseFilter(b *testing.B) {
	src := "identities/any(i:i/issuer eq 'contoso.com' and i/issuerAssignedId eq 'x') or (userType eq 'Guest' and not startswith(displayName,'Conf'))"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := odata.ParseFilter(src); err != nil {
			b.Fatal(err)
		}
	}
}
