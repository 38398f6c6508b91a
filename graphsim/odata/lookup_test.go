package odata

import "testing"

func TestEqualityKey(t *testing.T) {
	for _, tc := range []struct {
		filter, prop, value string
		ok                  bool
	}{
		{"mail eq 'a@b.example'", "mail", "a@b.example", true},
		{"'a@b.example' eq mail", "mail", "a@b.example", true},
		{"otherMails/any(x:x eq 'a@b.example')", "otherMails", "a@b.example", true},
		{"mail eq 'a' and accountEnabled eq true", "", "", false},
		{"mail ne 'a'", "", "", false},
		{"mail eq null", "", "", false},
		{"otherMails/all(x:x eq 'a')", "", "", false},
		{"identities/any(i:i/issuer eq 'a')", "", "", false},
		{"startswith(mail,'a')", "", "", false},
		{"employeeHireDate eq 2020-01-01T00:00:00Z", "", "", false},
	} {
		f, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		p, v, ok := f.EqualityKey()
		if p != tc.prop || v != tc.value || ok != tc.ok {
			t.Errorf("%s: EqualityKey() = %q, %q, %v; want %q, %q, %v", tc.filter, p, v, ok, tc.prop, tc.value, tc.ok)
		}
	}
}
