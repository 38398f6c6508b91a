package seed_test

import (
	"testing"

	"github.com/xtsync/xtsync/graphsim/seed"
)

// BenchmarkGenerate300k is the size the design card promises: 300,000 users
// and 5,000 groups in one tenant.
func BenchmarkGenerate300k(b *testing.B) {
	spec := seed.Spec{TenantID: "t", Domain: "contoso.com", Users: 300_000, Groups: 5_000, Seed: 42}
	b.ReportAllocs()
	for b.Loop() {
		t := seed.Generate(spec)
		if len(t.Users) != spec.Users {
			b.Fatal("short tenant")
		}
	}
}
