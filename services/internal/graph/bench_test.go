package graph_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// BenchmarkListUsers measures a full import through the SDK page iterator
// ($top=999) and the attribute-bag conversion, against in-process graphsim
// over HTTPS.
func BenchmarkListUsers(b *testing.B) {
	s := startSimB(b, 10000)
	q := graph.Query{Top: 999, Select: []string{"id", "displayName", "userPrincipalName", "mail", "jobTitle", "department", "accountEnabled"}}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		require.NoError(b, s.client.ListUsers(context.Background(), q, func(graph.User) error { n++; return nil }))
		require.Equal(b, 10000, n)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkUsersDeltaFullRound measures the first (full) delta round.
func BenchmarkUsersDeltaFullRound(b *testing.B) {
	s := startSimB(b, 10000)
	r := graph.DeltaRequest{Select: []string{"id", "displayName", "userPrincipalName", "mail", "jobTitle", "department", "accountEnabled"}}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		_, err := s.client.UsersDelta(context.Background(), r, func(p graph.DeltaPage[graph.User]) error {
			n += len(p.Objects)
			return nil
		})
		require.NoError(b, err)
		require.Equal(b, 10000, n)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "users/s")
}

func startSimB(b *testing.B, users int) *sim {
	b.Helper()
	return startSim(b, withUsers(users))
}
