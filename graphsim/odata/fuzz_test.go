package odata_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xtsync/xtsync/graphsim/odata"
)

var filterSeeds = []string{
	"displayName eq 'Zoë'",
	"NOT(companyName eq 'Microsoft') and companyName ne null",
	"otherMails/any(m:m eq 'a@b')",
	"proxyAddresses/any(x:startswith(x,'smtp:'))",
	"identities/any(i:i/issuer eq 'x' and i/issuerAssignedId eq 'y')",
	"createdDateTime ge 2024-01-01T00:00:00Z or createdDateTime lt 2020-01-01",
	"id in ('a','b') or id eq 4a2b5c6d-0000-4000-8000-000000000001",
	"a eq 'x' or (b eq 'y' or c eq 'z') and not startswith(d,'q')",
	"assignedLicenses/$count eq 0",
	"' or 1 eq 1",
	"a eq 'O''Brien'",
	"a/any(x:x/b/all(y:y ge -1.5e3))",
	"startswith(a,'x') eq false",
	"ext/attr1 eq null",
}

// FuzzParseFilter: no input panics; every error is an *Error; a parsed
// filter's String parses again to the same String, and matching never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	probe := obj{
		"a": "x", "b": int64(3), "c": true, "d": []string{"x", "y"}, "createdDateTime": time.Unix(0, 0).UTC(),
		"identities": []map[string]any{{"issuer": "x"}}, "ext": map[string]any{"attr1": "v"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := odata.ParseFilter(s)
		if err != nil {
			var oe *odata.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %T is not *odata.Error: %v", err, err)
			}
			return
		}
		flt.Match(probe)
		canon := flt.String()
		again, err := odata.ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("round trip unstable: %q -> %q -> %q", s, canon, again.String())
		}
		if again.Match(probe) != flt.Match(probe) || again.NeedsAdvanced() != flt.NeedsAdvanced() {
			t.Fatalf("round trip changed meaning: %q -> %q", s, canon)
		}
	})
}

// FuzzParseSelect: no panics; accepted names contain no separators.
func FuzzParseSelect(f *testing.F) {
	for _, s := range []string{"id,displayName", " id , mail ", "manager/id", "*", "a,,b", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := odata.ParseSelect(s)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, ", \t'") {
				t.Fatalf("ParseSelect(%q) accepted %q", s, n)
			}
		}
	})
}

// FuzzParseOrderBy: no panics; accepted terms round-trip through their text.
func FuzzParseOrderBy(f *testing.F) {
	for _, s := range []string{"displayName", "displayName desc, id asc", "a up", ",", "x  DESC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		obs, err := odata.ParseOrderBy(s)
		if err != nil {
			return
		}
		parts := make([]string, len(obs))
		for i, ob := range obs {
			parts[i] = ob.Property
			if ob.Desc {
				parts[i] += " desc"
			}
		}
		again, err := odata.ParseOrderBy(strings.Join(parts, ","))
		if err != nil || len(again) != len(obs) {
			t.Fatalf("ParseOrderBy round trip of %q failed: %v", s, err)
		}
	})
}
