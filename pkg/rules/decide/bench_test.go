package decide_test

import (
	"testing"

	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/match"
)

// BenchmarkDefaultUser* evaluate the default user mapping set (25 mappings)
// for one user, run scoping (assignment + one filter) and decide its action:
// the per-object cost of the transformer's hot path.
func BenchmarkDefaultUserNoChange(b *testing.B) {
	cfg := config(b)
	src := user("u1")
	entry := provisioned(b, cfg, src)
	in := decide.Input{Source: src, Entry: entry, Now: now}
	b.ReportAllocs()
	for b.Loop() {
		if d := decide.Decide(cfg, in); d.Action != decide.Skip {
			b.Fatal(d.Action)
		}
	}
}

func BenchmarkDefaultUserUpdate(b *testing.B) {
	cfg := config(b)
	entry := provisioned(b, cfg, user("u1"))
	in := decide.Input{Source: user("u1", "department", "Marketing"), Entry: entry, Now: now}
	b.ReportAllocs()
	for b.Loop() {
		if d := decide.Decide(cfg, in); d.Action != decide.Update {
			b.Fatal(d.Action)
		}
	}
}

func BenchmarkDefaultUserCreate(b *testing.B) {
	cfg := config(b)
	in := decide.Input{Source: user("u1"), MatchResults: [][]match.Candidate{nil}, Now: now}
	b.ReportAllocs()
	for b.Loop() {
		if d := decide.Decide(cfg, in); d.Action != decide.Create {
			b.Fatal(d.Action)
		}
	}
}
