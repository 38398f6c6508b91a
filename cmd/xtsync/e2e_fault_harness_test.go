package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/synclog"
)

// The fault suite (e2e_fault_*_test.go) runs at a bounded size in CI;
// XTSYNC_FAULT_LONG=1 (make faults) runs it bigger and longer, and
// XTSYNC_FAULT_SEED replays the random choices of a logged run.
const (
	envFaultLong = "XTSYNC_FAULT_LONG"
	envFaultSeed = "XTSYNC_FAULT_SEED"
)

// faultSize is one size of the suite.
type faultSize struct {
	Long bool
	// Users in the source tenant; KillsPerCycle kill -9s per cycle;
	// Changes random source changes before a delta cycle.
	Users, KillsPerCycle, Changes int
	// Soak is how long the soak test changes the source.
	Soak time.Duration
	// Timeout bounds a whole test.
	Timeout time.Duration
}

func faultSizeOf(t *testing.T) faultSize {
	t.Helper()
	requireE2E(t)
	if os.Getenv(envFaultLong) == "1" {
		return faultSize{Long: true, Users: 600, KillsPerCycle: 5, Changes: 150, Soak: 60 * time.Second, Timeout: 15 * time.Minute}
	}
	return faultSize{Users: 150, KillsPerCycle: 2, Changes: 40, Soak: 10 * time.Second, Timeout: 6 * time.Minute}
}

// faultRand returns a seeded generator; the seed is logged so that a
// failing run can be replayed with XTSYNC_FAULT_SEED.
func faultRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envFaultSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "%s", envFaultSeed)
		seed = v
	}
	t.Logf("fault seed %d (replay: %s=%d)", seed, envFaultSeed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// faultFigures is one row of RELIABILITY.md, logged by every fault test
// as a FIGURES line (grep FIGURES in -v output).
type faultFigures struct {
	Class     string
	Objects   int64 // provisioning-log entries checked (objects of the cycles)
	Lost      int   // mirror problems other than duplicates
	Dup       int   // duplicated target objects or log entries
	Recovered time.Duration
}

func (f faultFigures) log(t *testing.T) {
	t.Helper()
	t.Logf("FIGURES class=%q objects=%d lost=%d duplicated=%d recover=%s", f.Class, f.Objects, f.Lost, f.Dup, f.Recovered.Round(10*time.Millisecond))
}

// checkCycle reads both tenants back and the cycle's log entries and
// fails on any difference; it returns the figures of the cycle.
func (c *cluster) checkCycle(ctx context.Context, m *mirror.Mirror, cfgID, cycle string, p synclog.Progress) (lost, dup int) {
	c.t.Helper()
	for _, prob := range m.Diff(c.source, c.target) {
		if strings.Contains(prob, "duplicated") {
			dup++
		} else {
			lost++
		}
	}
	seen := map[string]int{}
	for _, e := range c.logEntries(ctx, cfgID, cycle) {
		seen[e.GetSource().GetType().String()+"/"+e.GetSource().GetObjectId()]++
	}
	for _, n := range seen {
		if n > 1 {
			dup += n - 1
		}
	}
	require.Zero(c.t, p.Failed, "failed outcomes: %v", p.ByStatus)
	c.requireMirrored(m)
	c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)
	return lost, dup
}

// restartNATS shuts the nats-server down and starts it again on the same
// port and JetStream store, as an operator restart does; clients ride it
// on their reconnect loop.
func (c *cluster) restartNATS(down time.Duration) {
	c.t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(c.nats.ClientURL(), "nats://"))
	require.NoError(c.t, err)
	p, err := strconv.Atoi(port)
	require.NoError(c.t, err)
	c.nats.Shutdown()
	time.Sleep(down)
	// The port may linger for a moment after the listener closed.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ns, err := natsx.StartEmbedded(natsx.EmbeddedConfig{Port: p, StoreDir: filepath.Join(c.dir, "jetstream"), ServerName: "e2e"})
		if err == nil {
			c.nats = ns
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("restart nats-server on port %d: %v", p, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// randomChanges makes n random changes to in-scope (AllUsers) source
// users: renames, new titles and departments, disables, re-enables,
// deletions, restores and new hires. It returns what it did.
func randomChanges(t *testing.T, rng *rand.Rand, src *graphsim.Tenant, n int) map[string]int {
	t.Helper()
	did := map[string]int{}
	ids := src.UserIDs()
	var deleted []string
	for i := 0; i < n; i++ {
		id := ids[rng.IntN(len(ids))]
		u, ok := src.User(id)
		if !ok || strings.EqualFold(u.UserType, "Guest") || strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#") {
			continue
		}
		if u.DeletedDateTime != nil {
			require.NoError(t, src.RestoreUser(id))
			did["restore"]++
			continue
		}
		switch k := rng.IntN(10); {
		case k < 4:
			title := fmt.Sprintf("Title %d", rng.IntN(1000))
			require.NoError(t, src.UpdateUser(id, func(u *graphsim.User) { u.JobTitle = title }))
			did["update"]++
		case k < 5:
			name := fmt.Sprintf("Renamed %d", rng.IntN(100000))
			require.NoError(t, src.UpdateUser(id, func(u *graphsim.User) { u.DisplayName, u.Surname = name, "R"+name }))
			did["rename"]++
		case k < 6:
			en := !u.AccountEnabled
			require.NoError(t, src.UpdateUser(id, func(u *graphsim.User) { u.AccountEnabled = en }))
			did[map[bool]string{true: "enable", false: "disable"}[en]]++
		case k < 7 && len(deleted) < n/5+1:
			require.NoError(t, src.DeleteUser(id))
			deleted = append(deleted, id)
			did["delete"]++
		default:
			k := rng.Uint32()
			upn := fmt.Sprintf("hire.%08x@%s", k, src.Domain())
			_, err := src.AddUser(graphsim.User{UserPrincipalName: upn, Mail: upn, DisplayName: fmt.Sprintf("Hire %08x", k),
				GivenName: "Hire", Surname: fmt.Sprintf("%08x", k), Department: "Sales", AccountEnabled: true})
			require.NoError(t, err)
			did["create"]++
		}
	}
	return did
}
