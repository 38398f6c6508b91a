package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSmallScale runs the small size once, as CI does: every in-scope user
// mirrored to the target (both tenants read back) and a complete report.
// No time limits: the figures are for BENCHMARKS.md, not assertions.
func TestSmallScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale run: builds xtsync and starts its processes")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("XTSYNC_REQUIRE_REDIS") != "" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		// One process; delta cycle after 100 changes.
		{"all-in-one", []string{"-scenario", "delta", "-deltas", "100"}},
		// Separate processes, two writers splitting the shards, groups in
		// scope with their members.
		{"two writers", []string{"-writers", "2", "-scope", "groups"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c cli
			c.o.Scenario, c.size = "unthrottled", "small"
			set := map[string]bool{}
			for i := 0; i < len(tc.args); i += 2 {
				name := strings.TrimPrefix(tc.args[i], "-")
				set[name] = true
				switch v := tc.args[i+1]; name {
				case "scenario":
					c.o.Scenario = v
				case "deltas":
					c.deltas = v
				case "writers":
					c.writers = v
				case "scope":
					c.o.Scope = v
				}
			}
			runs, err := c.plan(set)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			for _, o := range runs {
				o.Xtsync = xtsyncBinary(t)
				o.Log = testWriter{t}
				res, err := Run(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				if want := 1 + len(o.Deltas); len(res) != want {
					t.Fatalf("%d cycle results, want %d", len(res), want)
				}
				for _, r := range res {
					var b strings.Builder
					r.Print(&b)
					t.Log(b.String())
					if err := r.Complete(); err != nil {
						t.Errorf("%s cycle: %v", r.Cycle, err)
					}
					if !r.Mirrored {
						t.Errorf("%s cycle: target not mirrored: %d problems, e.g. %v", r.Cycle, len(r.Problems), r.Problems[:min(5, len(r.Problems))])
					}
					if r.Failed != 0 {
						t.Errorf("%s cycle: %d failed outcomes: %v", r.Cycle, r.Failed, r.ByAction)
					}
				}
				if res[0].InScopeUsers < 1000 || res[0].Writes < int64(res[0].InScopeUsers) {
					t.Errorf("initial cycle: %d users in scope, %d writes", res[0].InScopeUsers, res[0].Writes)
				}
			}
		})
	}
}

// xtsyncBinary builds the xtsync binary once per test binary.
func xtsyncBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xtsync-scale-bin-")
		if err != nil {
			builtErr = err
			return
		}
		built = dir + "/xtsync"
		builtErr = buildXtsync(context.Background(), built)
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return built
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
