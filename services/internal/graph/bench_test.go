package graph_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// BenchmarkListUsers measures a full import through the SDK page iterator
// ($top=999) and the attribute-bag conversion, against in-process graphsim
// over HTTPS.
func BenchmarkListUsers(b *testing.B) {
	s := startSimB(b, 10000)
	q := graph.Query{Top: 999, Select: []string{"id", "displayName", "userPrincipalName", "mail", "jobTitle", "department", "accountEnabled"}}
	cpu := startCPU(b)
	for b.Loop() {
		n := 0
		require.NoError(b, s.client.ListUsers(context.Background(), q, func(graph.User) error { n++; return nil }))
		require.Equal(b, 10000, n)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "users/s")
	cpu.report(10000)
}

// BenchmarkUsersDeltaFullRound measures the first (full) delta round.
func BenchmarkUsersDeltaFullRound(b *testing.B) {
	s := startSimB(b, 10000)
	r := graph.DeltaRequest{Select: []string{"id", "displayName", "userPrincipalName", "mail", "jobTitle", "department", "accountEnabled"}}
	cpu := startCPU(b)
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
	cpu.report(10000)
}

func startSimB(b *testing.B, users int) *sim {
	b.Helper()
	return startSim(b, withUsers(users))
}

// BenchmarkBatch measures the writer's hot path: one $batch of 20 requests
// for 5 users (two lookups, an invitation and a PATCH each, the shape of
// an initial cycle's creates), request marshalling, the SDK pipeline and
// the response decoding, against in-process graphsim over HTTPS. One op is
// one $batch; per user is a fifth of it.
func BenchmarkBatch(b *testing.B) {
	s := startSimB(b, 100)
	ctx := context.Background()
	var ids []string
	for id := range firstUsers(b, s.client, 5) {
		ids = append(ids, id)
	}
	reqs := make([]graph.BatchRequest, 0, graph.MaxBatch)
	for i, id := range ids {
		mail := fmt.Sprintf("bench%d@source.example", i)
		reqs = append(reqs,
			graph.BatchRequest{ID: fmt.Sprintf("m%d", i), Method: "GET", URL: "/users?$filter=mail eq '" + mail + "'&$select=id,userPrincipalName,mail,userType"},
			graph.BatchRequest{ID: fmt.Sprintf("o%d", i), Method: "GET", URL: "/users?$filter=otherMails/any(x:x eq '" + mail + "')&$select=id,userPrincipalName,mail,userType"},
			graph.InviteRequest(fmt.Sprintf("i%d", i), graph.Invitation{Email: mail, DisplayName: "Bench User"}),
			graph.UpdateUserRequest(fmt.Sprintf("p%d", i), id, graph.Attributes{
				"displayName": "Bench User", "givenName": "Bench", "surname": "User", "jobTitle": "Engineer",
				"department": "R&D", "companyName": "Contoso", "officeLocation": "Building 1", "city": "Zürich",
				"country": "CH", "usageLocation": "CH", "employeeId": fmt.Sprint(1000 + i), "mobilePhone": nil,
				"businessPhones": []any{"+41 44 000 00 00"}, "employeeOrgData": map[string]any{"division": "Eng", "costCenter": "42"},
			}))
	}
	cpu := startCPU(b)
	for b.Loop() {
		res, err := s.client.Batch(ctx, reqs)
		require.NoError(b, err)
		require.Len(b, res, len(reqs))
		for _, r := range res {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.ID, r.Err)
			}
		}
	}
	b.ReportMetric(float64(5*b.N)/b.Elapsed().Seconds(), "users/s")
	cpu.report(5)
}

// cpuClock reports the process's CPU time (user + system) per user: on a
// shared machine wall time per op mostly measures the other tenants. It
// includes the in-process graphsim's share.
type cpuClock struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuClock { return cpuClock{b: b, start: processCPU(b)} }

func (c cpuClock) report(usersPerOp int) {
	used := processCPU(c.b) - c.start
	c.b.ReportMetric(float64(used.Microseconds())/float64(usersPerOp*c.b.N), "cpu-µs/user")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
