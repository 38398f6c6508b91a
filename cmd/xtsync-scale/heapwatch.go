package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The heap watch (-pprof) samples every service process's RSS and takes a
// heap profile whenever it passes its last profiled RSS by rssStep: a peak
// is caught while it happens, not only 3–23 s into the cycle.
const (
	rssEvery   = 2 * time.Second
	rssStep    = 1.10
	rssFirst   = 64 << 20 // no profile of a process still starting
	keepHeaps  = 3        // the last profiles of each process
	heapFetchT = 30 * time.Second
)

// MemSnapshot is a process's memory when its RSS reached a new high: the
// Go runtime's own view (runtime.MemStats, from the heap profile's debug=1
// text) against the kernel's, to tell live heap from GC headroom, freed
// but retained spans, goroutine stacks and memory outside the Go heap.
type MemSnapshot struct {
	Proc       string
	At         time.Duration // into the cycle
	RSS        int64
	HeapAlloc  int64 // live and not yet swept objects
	HeapInuse  int64 // spans with objects
	HeapIdle   int64 // spans without objects, retained or released
	Released   int64 // of HeapIdle, returned to the OS
	NextGC     int64 // the heap size the next GC starts at
	StackInuse int64
	Sys        int64 // every byte the runtime got from the OS
	Goroutines int
	Profile    string
}

// String is one report line.
func (s MemSnapshot) String() string {
	return fmt.Sprintf("%-6s +%-7s RSS %s: heap alloc %s, in use %s, idle %s (released %s), next GC %s, stacks %s (%d goroutines), sys %s",
		s.Proc, s.At.Round(time.Second), mib(s.RSS), mib(s.HeapAlloc), mib(s.HeapInuse), mib(s.HeapIdle), mib(s.Released),
		mib(s.NextGC), mib(s.StackInuse), s.Goroutines, mib(s.Sys))
}

// watchHeaps runs until ctx ends and returns the snapshots taken, the
// last keepHeaps of each process (older profiles are removed).
func (c *cluster) watchHeaps(ctx context.Context, cycle string, start time.Time) []MemSnapshot {
	if err := os.MkdirAll(c.o.ProfileDir, 0o755); err != nil {
		return nil
	}
	tag := strings.ReplaceAll(cycle, " ", "-")
	profiled := map[*proc]int64{}
	var snaps []MemSnapshot
	t := time.NewTicker(rssEvery)
	defer t.Stop()
	for {
		for _, p := range c.services() {
			if p.httpAddr == "" {
				continue
			}
			rss, err := currentRSS(fmt.Sprint(p.cmd.Process.Pid))
			if err != nil || rss < rssFirst || float64(rss) < rssStep*float64(profiled[p]) {
				continue
			}
			profiled[p] = rss
			path := filepath.Join(c.o.ProfileDir, fmt.Sprintf("%s-%s-%s-heap-%04dMiB.pprof", c.o.Scenario, tag, p.name, rss>>20))
			s, err := snapshotHeap(ctx, p.httpAddr, path)
			if err != nil {
				continue
			}
			s.Proc, s.At, s.RSS, s.Profile = p.name, time.Since(start), rss, path
			snaps = append(snaps, s)
			snaps = dropOld(snaps, p.name)
		}
		select {
		case <-ctx.Done():
			return snaps
		case <-t.C:
		}
	}
}

// dropOld keeps the last keepHeaps snapshots of proc, removing the
// profiles of the older ones.
func dropOld(snaps []MemSnapshot, proc string) []MemSnapshot {
	n := 0
	for _, s := range snaps {
		if s.Proc == proc {
			n++
		}
	}
	out := snaps[:0]
	for _, s := range snaps {
		if s.Proc == proc && n > keepHeaps {
			n--
			_ = os.Remove(s.Profile)
			continue
		}
		out = append(out, s)
	}
	return out
}

// snapshotHeap saves the heap profile (inuse_space and the rest, for go
// tool pprof) to path and reads MemStats and the goroutine count.
func snapshotHeap(ctx context.Context, addr, path string) (MemSnapshot, error) {
	var s MemSnapshot
	ctx, cancel := context.WithTimeout(ctx, heapFetchT)
	defer cancel()
	base := "http://" + addr + "/debug/pprof/"
	if err := fetchTo(ctx, base+"heap", path); err != nil {
		return s, err
	}
	body, err := fetch(ctx, base+"heap?debug=1")
	if err != nil {
		return s, err
	}
	if s, err = parseMemStats(body); err != nil {
		return s, err
	}
	if g, err := fetch(ctx, base+"goroutine?debug=1"); err == nil {
		first, _, _ := strings.Cut(g, "\n")
		s.Goroutines, _ = strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	}
	return s, nil
}

// parseMemStats reads the "# runtime.MemStats" trailer of a debug=1 heap
// profile.
func parseMemStats(text string) (MemSnapshot, error) {
	var s MemSnapshot
	fields := map[string]*int64{
		"HeapAlloc": &s.HeapAlloc, "HeapInuse": &s.HeapInuse, "HeapIdle": &s.HeapIdle,
		"HeapReleased": &s.Released, "NextGC": &s.NextGC, "Sys": &s.Sys, "Stack": &s.StackInuse,
	}
	found := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = ")
		dst, known := fields[name]
		if !ok || !known {
			continue
		}
		val, _, _ = strings.Cut(val, " ") // "Stack = inuse / sys"
		v, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return s, fmt.Errorf("memstats %s: %w", name, err)
		}
		*dst = v
		found++
	}
	if found < len(fields) {
		return s, fmt.Errorf("memstats: %d of %d fields", found, len(fields))
	}
	return s, nil
}

func fetch(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func fetchTo(ctx context.Context, url, path string) error {
	body, err := fetch(ctx, url)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o644)
}
