package transformer

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzValueJSON: every string value becomes valid JSON that decodes back
// to it (the plain fast path must never skip needed escaping).
func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{"", "Ann", `a"b`, `c:\x`, "tab\t", "ø", "<&>", "\x00", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		js, err := valueJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid([]byte(js)) {
			t.Fatalf("invalid JSON %q for %q", js, s)
		}
		var back string
		if err := json.Unmarshal([]byte(js), &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("%q came back as %q", s, back)
		}
	})
}
