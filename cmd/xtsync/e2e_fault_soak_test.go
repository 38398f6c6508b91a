package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
)

// procSample is one reading of a service process.
type procSample struct {
	rssKB, goroutines int64
}

// rssKB reads VmRSS from /proc/<pid>/status.
func rssKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("open status of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS of %d: %w", pid, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d: %w", pid, sc.Err())
}

// goroutines reads go_goroutines from a process's /metrics.
func goroutines(ctx context.Context, addr string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("metrics request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get metrics of %s: %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("read metrics of %s: %w", addr, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("go_goroutines of %s: %w", addr, err)
			}
			return int64(f), nil
		}
	}
	return 0, fmt.Errorf("no go_goroutines at %s", addr)
}

// TestE2EFaultSoak changes the source continuously (seeded random
// creates, updates, disables, deletions, restores) while delta cycles run
// back to back, sampling every service process's RSS (/proc) and
// goroutines (/metrics): after the warm-up neither grows. A last cycle
// after the changes stop leaves the target mirrored.
func TestE2EFaultSoak(t *testing.T) {
	size := faultSizeOf(t)
	rng := faultRand(t)
	c := newCluster(t, clusterSpec{Users: size.Users, Groups: 4, TargetUsers: 10,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		Flags:        append([]string{"-writer.writes-per-minute=6000"}, fastRedelivery...)})
	metrics := map[string]string{}
	for _, name := range fiveServices {
		metrics[name] = freeAddr(t)
		c.startService(name, name, "-http.listen-addr="+metrics[name])
	}
	c.api("scheduler", "synclog")
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	ctx, cancel := context.WithTimeout(context.Background(), size.Timeout)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	c.runCycle(ctx, cfgID) // warm-up: the initial cycle

	samples := map[string][]procSample{}
	sample := func() {
		for _, name := range fiveServices {
			c.mu.Lock()
			pid := c.procs[name].cmd.Process.Pid
			c.mu.Unlock()
			rss, err := rssKB(pid)
			require.NoError(t, err)
			g, err := goroutines(ctx, metrics[name])
			require.NoError(t, err)
			samples[name] = append(samples[name], procSample{rss, g})
		}
	}
	sample()

	// The source changes every 200ms for the soak's duration.
	var changes sync.WaitGroup
	soakCtx, stop := context.WithTimeout(ctx, size.Soak)
	defer stop()
	total := 0
	changes.Add(1)
	go func() {
		defer changes.Done()
		for soakCtx.Err() == nil {
			for _, n := range randomChanges(t, rng, c.source, 3) {
				total += n
			}
			select {
			case <-soakCtx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	cycles := 0
	var objects int64
	for soakCtx.Err() == nil {
		p := c.runCycle(ctx, cfgID)
		objects += p.Expected
		cycles++
		sample()
	}
	changes.Wait()
	p := c.runCycle(ctx, cfgID)
	objects += p.Expected
	cycles++
	sample()
	last := c.startCycle(ctx, cfgID) // quiet: nothing changed since
	lp := c.waitCycle(ctx, cfgID, last)
	lost, dup := c.checkCycle(ctx, m, cfgID, last, lp)
	fig := faultFigures{Class: fmt.Sprintf("soak %s: continuous source changes", size.Soak), Objects: objects, Lost: lost, Dup: dup}
	t.Logf("%d source changes, %d cycles, %d objects logged", total, cycles, objects)

	// Flat: the last samples are no higher than the first after the
	// warm-up plus a margin for in-flight work and GC timing.
	for _, name := range fiveServices {
		s := samples[name]
		require.GreaterOrEqual(t, len(s), 3, name)
		first, peak := s[0], procSample{}
		for _, x := range s {
			peak.rssKB, peak.goroutines = max(peak.rssKB, x.rssKB), max(peak.goroutines, x.goroutines)
		}
		end := s[len(s)-1]
		t.Logf("%-11s RSS %d -> %d kB (peak %d); goroutines %d -> %d (peak %d); %d samples",
			name, first.rssKB, end.rssKB, peak.rssKB, first.goroutines, end.goroutines, peak.goroutines, len(s))
		require.LessOrEqual(t, end.goroutines, first.goroutines+10, "%s: goroutines grow", name)
		require.LessOrEqual(t, end.rssKB, first.rssKB*3/2+32<<10, "%s: RSS grows", name)
	}
	fig.log(t)
}
