package main

import (
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

var execCommand = exec.CommandContext

// Complete reports what a result lacks to be a full report.
func (r Result) Complete() error {
	var miss []string
	if r.Objects <= 0 {
		miss = append(miss, "objects")
	}
	if r.Duration <= 0 {
		miss = append(miss, "duration")
	}
	if len(r.Procs) < 2 {
		miss = append(miss, "processes")
	}
	for _, p := range r.Procs {
		if p.PeakRSS <= 0 {
			miss = append(miss, "peak RSS of "+p.Name)
		}
	}
	if r.RedisUsedEnd <= 0 {
		miss = append(miss, "redis used_memory")
	}
	if r.JSStoredBytes == 0 {
		miss = append(miss, "JetStream bytes")
	}
	if r.Load == "" {
		miss = append(miss, "load")
	}
	if len(miss) > 0 {
		return fmt.Errorf("report lacks %s", strings.Join(miss, ", "))
	}
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func rate(budget float64) string {
	if budget <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f/s", budget)
}

// Print writes a result as a plain-text block.
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s: %s cycle (%s; load %s)\n", r.Scenario, r.Cycle, r.Deployment, r.Load)
	fmt.Fprintf(w, "  in scope:        %d users, %d groups", r.InScopeUsers, r.InScopeGroups)
	if r.Changes > 0 {
		fmt.Fprintf(w, "; %d source changes before the cycle", r.Changes)
	}
	fmt.Fprintf(w, "\n  objects logged:  %d (%s), failed %d\n", r.Objects, formatCounts(r.ByAction), r.Failed)
	fmt.Fprintf(w, "  cycle:           %s (%.0f objects/s)", r.Duration.Round(time.Millisecond), r.UsersPerSecond())
	if len(r.PerConfig) > 1 {
		var s []string
		for _, d := range r.PerConfig {
			s = append(s, d.Round(time.Second).String())
		}
		fmt.Fprintf(w, "; per configuration %s", strings.Join(s, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Graph (targets): %d requests, %d writes accepted, %d answered 429 (%.2f%% of requests)\n", r.Requests, r.Writes, r.Throttled, pct(r.Throttled, r.Requests))
	fmt.Fprintf(w, "  write rate:      %.0f writes/s over %s of writes; budget %s", r.WriteRate(), r.WriteWindow.Round(time.Millisecond), rate(r.Budget))
	if r.Budget > 0 {
		fmt.Fprintf(w, " (%.0f%% achieved)", 100*r.WriteRate()/r.Budget)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  JetStream:       peak %d B in %d messages in flight (changes + intents); %.0f B per change, %.0f B per intent carried; %s stored\n",
		r.JSPeakBytes, r.JSPeakMsgs, r.JSChangeBytes, r.JSIntentBytes, mib(int64(r.JSStoredBytes)))
	fmt.Fprintf(w, "  Redis:           used_memory %s -> %s", mib(r.RedisUsedBefore), mib(r.RedisUsedEnd))
	if r.Objects > 0 && r.Cycle == "initial" {
		fmt.Fprintf(w, " (%.0f B per synced object)", r.RedisPerObject())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-34s %10s %10s\n", "process", "CPU s", "peak RSS")
	for _, p := range r.Procs {
		fmt.Fprintf(w, "  %-34s %10.1f %10s\n", p.Name, p.CPU.Seconds(), mib(p.PeakRSS))
	}
	switch {
	case r.Mirrored:
		fmt.Fprintln(w, "  check:           every in-scope object mirrored (both tenants read back)")
	case len(r.Problems) > 0:
		fmt.Fprintf(w, "  check:           %d problems, e.g.\n    %s\n", len(r.Problems), strings.Join(r.Problems[:min(5, len(r.Problems))], "\n    "))
	}
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "  profile:         %s\n", p)
	}
	for _, h := range r.Heaps {
		fmt.Fprintf(w, "  heap at RSS high: %s\n                   %s\n", h, h.Profile)
	}
}

// RedisPerObject is Redis growth per object of the cycle.
func (r Result) RedisPerObject() float64 {
	return float64(r.RedisUsedEnd-r.RedisUsedBefore) / float64(r.Objects)
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func formatCounts(m map[string]int64) string {
	var s []string
	for _, k := range sortedKeys(m) {
		s = append(s, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(s, " ")
}

// MarkdownHeader is the header of Markdown's rows.
const MarkdownHeader = "| scenario | cycle | deployment | in scope | objects/s | cycle | writes | 429s | write rate / budget | CPU s (busiest process) | peak RSS (largest xtsync process) | Redis B/object | JS B/change | load | mirrored |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"

// Markdown renders a result as one table row.
func (r Result) Markdown() string {
	var busiest, largest ProcFigure
	for _, p := range r.Procs {
		if p.CPU > busiest.CPU {
			busiest = p
		}
		if p.PeakRSS > largest.PeakRSS && p.Name != "redis" && !strings.HasPrefix(p.Name, "harness") {
			largest = p
		}
	}
	wr := fmt.Sprintf("%.0f/s / %s", r.WriteRate(), rate(r.Budget))
	if r.Budget > 0 {
		wr += fmt.Sprintf(" (%.0f%%)", 100*r.WriteRate()/r.Budget)
	}
	redisPer := "–"
	if r.Cycle == "initial" && r.Objects > 0 {
		redisPer = fmt.Sprintf("%.0f", r.RedisPerObject())
	}
	return fmt.Sprintf("| %s | %s | %s | %d users, %d groups | %.0f | %s | %d | %d (%.2f%%) | %s | %.0f (%s) | %s (%s) | %s | %.0f + %.0f | %s | %v |\n",
		r.Scenario, r.Cycle, r.Deployment, r.InScopeUsers, r.InScopeGroups, r.UsersPerSecond(), r.Duration.Round(100*time.Millisecond),
		r.Writes, r.Throttled, pct(r.Throttled, r.Requests), wr, busiest.CPU.Seconds(), busiest.Name, mib(largest.PeakRSS), largest.Name,
		redisPer, r.JSChangeBytes, r.JSIntentBytes, r.Load, r.Mirrored)
}

func machine() string {
	return fmt.Sprintf("%d CPU %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
