package writer

import (
	"testing"
	"time"
)

// TestRefusalsSkipARefusedMatchAttribute: three 400s in a row on a match
// attribute leave it out of the next creates' lookups of that tenant for a
// while; an answer, another tenant, or the writer's own lookups are not
// affected.
func TestRefusalsSkipARefusedMatchAttribute(t *testing.T) {
	now := time.Unix(1000, 0)
	ls := func() []lookup {
		return []lookup{{filter: "alternativeSecurityIds/any(...)", attr: "alternativeSecurityIds", isMatch: true},
			{filter: "mail eq 'a'", attr: "mail"}, {filter: "otherMails/any(x:x eq 'a')", attr: "otherMails"}}
	}
	attrs := func(l []lookup) []string {
		var out []string
		for _, x := range l {
			out = append(out, x.attr)
		}
		return out
	}
	var r refusals
	if got := r.skip("t1", ls(), now); len(got) != 3 {
		t.Fatalf("nothing refused yet: %v", attrs(got))
	}
	r.refused("t1", "alternativeSecurityIds", now)
	r.refused("t1", "alternativeSecurityIds", now)
	if got := r.skip("t1", ls(), now); len(got) != 3 {
		t.Fatalf("two refusals skip nothing: %v", attrs(got))
	}
	r.refused("t1", "alternativeSecurityIds", now)
	if got := attrs(r.skip("t1", ls(), now)); len(got) != 2 || got[0] != "mail" {
		t.Fatalf("after three refusals: %v", got)
	}
	if got := r.skip("t2", ls(), now); len(got) != 3 {
		t.Fatalf("another tenant: %v", attrs(got))
	}
	if got := r.skip("t1", ls(), now.Add(refusalSkip)); len(got) != 3 {
		t.Fatalf("tried again after %s: %v", refusalSkip, attrs(got))
	}
	r.answered("t1", "alternativeSecurityIds")
	if got := r.skip("t1", ls(), now); len(got) != 3 {
		t.Fatalf("an answer resets: %v", attrs(got))
	}
	// The writer's own lookups are never skipped.
	for range 5 {
		r.refused("t1", "mail", now)
	}
	if got := r.skip("t1", ls(), now); len(got) != 3 {
		t.Fatalf("own lookups: %v", attrs(got))
	}
}
