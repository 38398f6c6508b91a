package odata_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim/odata"
)

func boolp(b bool) *bool { return &b }

var ada = obj{
	"id":                "4a2b5c6d-0000-4000-8000-000000000001",
	"displayName":       "Zoë Müller",
	"givenName":         "Zoë",
	"userPrincipalName": "zoe.muller@contoso.com",
	"mail":              "Zoe.Muller@contoso.com",
	"userType":          "Member",
	"accountEnabled":    true,
	"companyName":       nil,
	"department":        "",
	"employeeId":        int64(1042),
	"score":             2.5,
	"createdDateTime":   time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
	"lastSeen":          "2024-06-01T00:00:00Z",
	"showInAddressList": boolp(false),
	"otherMails":        []string{"zoe@fabrikam.com", "Z.M@Example.org"},
	"proxyAddresses":    []string{"SMTP:Zoe.Muller@contoso.com", "smtp:zm@contoso.onmicrosoft.com"},
	"businessPhones":    []string{},
	"identities": []map[string]any{
		{"signInType": "userPrincipalName", "issuer": "contoso.com", "issuerAssignedId": "zoe.muller@contoso.com"},
		{"signInType": "federated", "issuer": "facebook.com", "issuerAssignedId": "5551234"},
	},
	"onPremisesExtensionAttributes": map[string]any{"extensionAttribute1": "blue"},
}

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter   string
		want     bool
		advanced bool
	}{
		// eq / ne, case-insensitive strings, unicode
		{"displayName eq 'Zoë Müller'", true, false},
		{"displayName eq 'ZOË MÜLLER'", true, false},
		{"DisplayName eq 'zoë müller'", false, false}, // names pass through as written; see Resolve
		{"displayName eq 'Zoe Muller'", false, false},
		{"displayName ne 'someone'", true, true},
		{"userType eq 'Member' and accountEnabled eq true", true, false},
		{"accountEnabled eq false", false, false},
		{"accountEnabled ne true", false, true},
		{"accountEnabled", true, false},
		{"showInAddressList eq false", true, false},
		{"'Member' eq userType", true, false},
		// null: absent, nil and "" are null
		{"companyName eq null", true, false},
		{"department eq null", true, false},
		{"jobTitle eq null", true, false},
		{"mail eq null", false, false},
		{"mail ne null", true, true},
		{"jobTitle ne 'x'", true, true},
		{"jobTitle eq 'x'", false, false},
		{"businessPhones eq null", true, false},
		// not, precedence, parentheses
		{"not (displayName eq 'x')", true, true},
		{"NOT(companyName eq 'Microsoft') and mail ne null", true, true},
		{"not accountEnabled", false, true},
		{"not not accountEnabled", true, true},
		{"userType eq 'Guest' or userType eq 'Member' and accountEnabled eq false", false, false},
		{"(userType eq 'Guest' or userType eq 'Member') and accountEnabled eq true", true, false},
		{"userType eq 'Member' or displayName eq 'x' and accountEnabled eq false", true, false},
		{"true", true, false},
		{"false or accountEnabled", true, false},
		// in
		{"userType in ('Guest', 'member')", true, false},
		{"userType in ('Guest')", false, false},
		{"id in ('x', 4A2B5C6D-0000-4000-8000-000000000001)", true, false},
		{"id eq '4a2b5c6d-0000-4000-8000-000000000001'", true, false},
		// functions
		{"startswith(displayName,'zoë')", true, false},
		{"startsWith(displayName, 'Zo')", true, false},
		{"startswith(displayName,'Müller')", false, false},
		{"endswith(mail,'@CONTOSO.com')", true, true},
		{"endswith(userPrincipalName,'#EXT#@contoso.com')", false, true},
		{"startswith(companyName,'')", false, false},
		{"startswith(displayName,'Zo') eq true", true, false},
		{"startswith(displayName,'Zo') eq false", false, true},
		{"not startswith(displayName,'Conf')", true, true},
		// ordering: numbers, dates, strings
		{"employeeId ge 1000", true, false},
		{"employeeId lt 1000", false, false},
		{"employeeId gt 1041.5", true, false},
		{"score le 2.5", true, false},
		{"score gt 2", true, false},
		{"createdDateTime ge 2024-01-01T00:00:00Z", true, false},
		{"createdDateTime lt 2024-01-01", false, false},
		{"createdDateTime le 2024-03-01T13:00:00+01:00", true, false},
		{"createdDateTime gt 2024-03-01T12:00:00.0000001Z", false, false},
		{"createdDateTime ge '2024-01-01T00:00:00Z'", true, false},
		{"lastSeen gt 2024-05-31T23:59:59Z", true, false},
		{"displayName ge 'zoe'", true, false},
		{"displayName lt 'ZZ'", true, false},
		{"companyName gt 'a'", false, false},
		// lambdas on string collections
		{"otherMails/any(m:m eq 'z.m@example.org')", true, false},
		{"otherMails/any(m: m eq 'nobody@example.org')", false, false},
		{"otherMails/all(m:endswith(m,'.com'))", false, true},
		{"otherMails/all(m:m ne null)", true, true},
		{"proxyAddresses/any(x:startswith(x,'smtp:'))", true, false},
		{"proxyAddresses/any(p:endsWith(p, 'OnMicrosoft.com'))", true, true},
		{"businessPhones/any(p:p eq '1')", false, false},
		{"businessPhones/all(p:p eq '1')", true, false},
		{"missing/any(p:p eq '1')", false, false},
		{"otherMails/any()", true, false},
		{"businessPhones/any()", false, false},
		{"not otherMails/any(m:m eq 'zoe@fabrikam.com')", false, true},
		{"otherMails/any(m:m in ('a@b.c','ZOE@fabrikam.com'))", true, false},
		{"otherMails/any(m:startswith(m,'z') and userType eq 'Member')", true, false},
		// lambdas on complex collections
		{"identities/any(i:i/issuer eq 'facebook.com' and i/issuerAssignedId eq '5551234')", true, false},
		{"identities/any(i:i/issuer eq 'facebook.com' and i/issuerAssignedId eq 'nope')", false, false},
		{"identities/any(c:c/ISSUER eq 'contoso.com')", true, false},
		{"identities/all(i:i/issuer ne null)", true, true},
		{"identities/any(i:i eq 'x')", false, false},
		// complex property paths and $count
		{"onPremisesExtensionAttributes/extensionAttribute1 eq 'Blue'", true, false},
		{"onPremisesExtensionAttributes/extensionAttribute2 eq null", true, false},
		{"otherMails/$count eq 2", true, true},
		{"businessPhones/$count eq 0", true, true},
		{"identities/$count ge 1", true, true},
		{"missing/$count eq 0", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			t.Parallel()
			f, err := odata.ParseFilter(tc.filter)
			require.NoError(t, err)
			require.Equal(t, tc.want, f.Match(ada))
			require.Equal(t, tc.advanced, f.NeedsAdvanced())

			again, err := odata.ParseFilter(f.String())
			require.NoError(t, err, "canonical form %q must parse", f.String())
			require.Equal(t, f.String(), again.String())
			require.Equal(t, tc.want, again.Match(ada))
		})
	}
}

func TestFilterNilMatchesAll(t *testing.T) {
	t.Parallel()
	var f *odata.Filter
	require.True(t, f.Match(ada))
}

func TestFilterString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a eq 'x' OR b eq 'y' AND c eq 'z'", "a eq 'x' or b eq 'y' and c eq 'z'"},
		{"(a eq 'x' or b eq 'y') and c eq 'z'", "(a eq 'x' or b eq 'y') and c eq 'z'"},
		{"a eq 'x' or (b eq 'y' or c eq 'z')", "a eq 'x' or (b eq 'y' or c eq 'z')"},
		{"((a eq 'x'))", "a eq 'x'"},
		{"NOT(a eq 'O''Brien')", "not (a eq 'O''Brien')"},
		{"'x' lt a", "a gt 'x'"},
		{"a  in  ( 'x' , 1 , 2.5 , true , null )", "a in ('x',1,2.5,true,null)"},
		{"StartsWith( a , 'x' )", "startswith(a,'x')"},
		{"p/any( x : x eq 1 )", "p/any(x:x eq 1)"},
		{"a eq -1.5e3", "a eq -1.5e3"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			f, err := odata.ParseFilter(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, f.String())
		})
	}
}

func TestFilterProperties(t *testing.T) {
	t.Parallel()
	f, err := odata.ParseFilter("identities/any(i:i/issuer eq 'x' and userType eq 'Guest') or mail eq null or userType eq 'x' or ext/a eq 1")
	require.NoError(t, err)
	require.Equal(t, []string{"identities", "userType", "mail", "ext"}, f.Properties())
}

func TestFilterResolve(t *testing.T) {
	t.Parallel()
	schema := map[string]string{"displayname": "displayName", "othermails": "otherMails"}
	canon := func(name string) (string, bool) {
		c, ok := schema[toLower(name)]
		return c, ok
	}

	f, err := odata.ParseFilter("DisplayName eq 'zoë müller' and OtherMails/any(m:m eq 'zoe@fabrikam.com')")
	require.NoError(t, err)
	require.False(t, f.Match(ada))
	require.NoError(t, f.Resolve(canon, "microsoft.graph.user"))
	require.True(t, f.Match(ada))
	require.Equal(t, []string{"displayName", "otherMails"}, f.Properties())

	f, err = odata.ParseFilter("displayName eq 'x' or foo eq 'y'")
	require.NoError(t, err)
	err = f.Resolve(canon, "microsoft.graph.user")
	var oe *odata.Error
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "Could not find a property named 'foo' on type 'microsoft.graph.user'.", oe.Message)
	require.Equal(t, 22, oe.Pos)
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
