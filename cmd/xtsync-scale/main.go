// Command xtsync-scale measures the product at scale (issue 5): it starts
// graphsim (a source tenant with N users and groups with memberships, one
// target tenant per configuration), a real nats-server embedded in this
// process over TCP (file store, SyncAlways), a redis-server child and the
// xtsync services of the built binary, either in one process
// (-target=all) or as separate processes with W writers splitting the
// intent shards; creates the configurations and starts the jobs through
// the gRPC API, follows the cycles with the log service's progress, and
// reads both tenants back to check the mirror.
//
// For each cycle it reports the objects in scope, writes (graphsim's
// counters), 429s, the write rate against the budget, the cycle's
// duration, CPU seconds and peak RSS per process, JetStream bytes in
// flight and Redis used_memory. Scenarios are flag presets (-scenario);
// BENCHMARKS.md lists the figures and the commands.
//
//	go run ./cmd/xtsync-scale -scenario throttle -size medium
//	go run ./cmd/xtsync-scale -scenario writers -writers 1,2,4,8 -markdown BENCHMARKS-scale.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// sizes are the -size presets (source users).
var sizes = map[string]int{"small": 5_000, "medium": 50_000, "large": 300_000}

// scenarios are the -scenario presets (issue 5); flags given explicitly
// override them.
var scenarios = map[string]string{
	"throttle":    "initial cycle bound by the target's budget: tenant and writers at 2,000 writes/s (120,000/min)",
	"unthrottled": "initial cycle with no Graph budget: the pipeline's own speed",
	"delta":       "unthrottled initial cycle, then delta cycles after 100, 1,000 and 10,000 random source changes",
	"writers":     "horizontal writers (-writers 1,2,4,8), each process with one $batch in flight, against 100-200 ms Graph latency",
	"configs":     "three configurations (three target tenants) at once, each at 2,000 writes/s",
	"storm":       "writers budget 6,000 writes/min against a tenant allowing 1,800 (the 429 storm of cmd/xtsync's e2e)",
	"custom":      "only the flags",
}

type cli struct {
	o        Options
	size     string
	writers  string
	deltas   string
	markdown string
	flags    stringList
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xtsync-scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c cli
	o := &c.o
	fs.StringVar(&o.Scenario, "scenario", "unthrottled", "Preset: "+strings.Join(slices.Sorted(maps.Keys(scenarios)), ", ")+".")
	fs.StringVar(&c.size, "size", "small", "Source users: small (5,000), medium (50,000), large (300,000); -users overrides.")
	fs.IntVar(&o.Users, "users", 0, "Source users (overrides -size).")
	fs.IntVar(&o.Groups, "groups", 0, "Source groups (default: users/100, at least 20).")
	fs.IntVar(&o.TargetUsers, "target-users", 100, "Users already in each target tenant.")
	fs.StringVar(&o.Scope, "scope", "all", "Scope: all (every enabled user), or groups (the source's groups with members assigned; groups synced).")
	fs.IntVar(&o.Configs, "configs", 0, "Configurations run at once, one target tenant each (scenario default, else 1).")
	fs.StringVar(&c.writers, "writers", "", "Writer processes, a comma-separated list for one run each (0: all services in one process).")
	fs.IntVar(&o.IntentShards, "intent-shards", 16, "Intent shards of the topology (the writers split them).")
	fs.IntVar(&o.WritesPerMinute, "writes-per-minute", 0, "Writers' shared budget per target tenant (default: the tenant's, else unlimited).")
	fs.IntVar(&o.WriteBurst, "write-burst", 0, "Burst of the writers' budget (default 200).")
	fs.IntVar(&o.TenantWritesPerMinute, "tenant-writes-per-minute", 0, "Target tenant's Graph write budget in graphsim (-1 unlimited; default per scenario).")
	fs.IntVar(&o.TenantBurst, "tenant-burst", 0, "Target tenant's bucket size (0: ten seconds' worth).")
	fs.DurationVar(&o.Latency, "latency", 0, "Latency of every target Graph request.")
	fs.DurationVar(&o.LatencyJitter, "jitter", 0, "Uniform extra latency 0..jitter.")
	fs.StringVar(&c.deltas, "deltas", "", "Delta cycles after the initial one: comma-separated numbers of random source changes.")
	fs.Uint64Var(&o.Seed, "seed", 1, "Seed of the random source changes.")
	fs.StringVar(&o.Xtsync, "xtsync", "", "xtsync binary (default: go build into a temporary directory).")
	fs.Var(&c.flags, "flag", "Extra flag for every xtsync process (repeatable), e.g. -flag=-writer.concurrency=8.")
	fs.StringVar(&o.ProfileDir, "pprof", "", "Directory for CPU (20 s, from 3 s into each cycle) and heap profiles of every service process, and heap profiles with runtime.MemStats each time a process's RSS passes its last profiled high by 10% (the last 3 kept, reported) (needs -http.pprof in xtsync).")
	fs.DurationVar(&o.ProfileStart, "pprof-start", 3*time.Second, "How far into each cycle the -pprof CPU profiles start (0 for short delta cycles).")
	fs.BoolVar(&o.NoSyncAlways, "no-sync-always", false, "Embedded JetStream without fsync on every write (the product default is SyncAlways).")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "Bound on one run.")
	fs.BoolVar(&o.NoCheck, "no-check", false, "Do not read the tenants back after each cycle.")
	fs.BoolVar(&o.Keep, "keep", false, "Keep the work directory (process logs, stores).")
	fs.StringVar(&c.markdown, "markdown", "", "Append the results as Markdown table rows to this file.")
	quiet := fs.Bool("quiet", false, "No progress lines on stderr.")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	runs, err := c.plan(set)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stdout, "xtsync-scale %s: %s\nmachine: %s; load %s\n", o.Scenario, scenarios[o.Scenario], machine(), loadAvg())
	var all []Result
	failed := false
	for _, ro := range runs {
		if !*quiet {
			ro.Log = stderr
		}
		res, err := Run(ctx, ro)
		for _, r := range res {
			r.Print(stdout)
		}
		all = append(all, res...)
		if err != nil {
			fmt.Fprintf(stderr, "run failed: %v\n", err)
			failed = true
			break
		}
		for _, r := range res {
			if !ro.NoCheck && !r.Mirrored {
				failed = true
			}
		}
	}
	if c.markdown != "" && len(all) > 0 {
		if err := appendMarkdown(c.markdown, all); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

// plan turns the flags and the scenario's preset into one Options per run.
func (c *cli) plan(set map[string]bool) ([]Options, error) {
	o := c.o
	if _, ok := scenarios[o.Scenario]; !ok {
		return nil, fmt.Errorf("-scenario %q: one of %s", o.Scenario, strings.Join(slices.Sorted(maps.Keys(scenarios)), ", "))
	}
	if !set["users"] {
		n, ok := sizes[c.size]
		if !ok {
			return nil, fmt.Errorf("-size %q: small, medium or large", c.size)
		}
		o.Users = n
	}
	if o.Groups == 0 {
		o.Groups = max(20, o.Users/100)
	}
	o.Flags = c.flags
	preset := func(name string, apply func()) {
		if !set[name] {
			apply()
		}
	}
	writers, deltas := c.writers, c.deltas
	switch o.Scenario {
	case "throttle":
		preset("tenant-writes-per-minute", func() { o.TenantWritesPerMinute = 120_000 })
	case "unthrottled", "custom":
	case "delta":
		preset("deltas", func() { deltas = "100,1000,10000" })
	case "writers":
		preset("writers", func() { writers = "1,2,4,8" })
		preset("latency", func() { o.Latency = 100 * time.Millisecond })
		preset("jitter", func() { o.LatencyJitter = 100 * time.Millisecond })
		// One $batch in flight per writer process (one intent batch at a
		// time over all its shards, one call at a time per batch): a
		// writer is bound by Graph's latency, so adding writers is what
		// adds throughput.
		o.Flags = append([]string{"-writer.concurrency=1", "-writer.batch-calls=1"}, o.Flags...)
	case "configs":
		preset("configs", func() { o.Configs = 3 })
		preset("tenant-writes-per-minute", func() { o.TenantWritesPerMinute = 120_000 })
	case "storm":
		preset("tenant-writes-per-minute", func() { o.TenantWritesPerMinute = 1_800 })
		preset("tenant-burst", func() { o.TenantBurst = 20 })
		preset("writes-per-minute", func() { o.WritesPerMinute = 6_000 })
	}
	if o.TenantWritesPerMinute == 0 {
		o.TenantWritesPerMinute = -1
	}
	if o.Configs == 0 {
		o.Configs = 1
	}
	if o.IntentShards == 0 {
		o.IntentShards = 16
	}
	for _, d := range splitList(deltas) {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-deltas: %q is not a positive number", d)
		}
		o.Deltas = append(o.Deltas, n)
	}
	ws := splitList(writers)
	if len(ws) == 0 {
		ws = []string{"0"}
	}
	var runs []Options
	for _, w := range ws {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > o.IntentShards {
			return nil, fmt.Errorf("-writers: %q is not 0..%d", w, o.IntentShards)
		}
		r := o
		r.Writers = n
		runs = append(runs, r)
	}
	return runs, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedKeys(m map[string]int64) []string { return slices.Sorted(maps.Keys(m)) }

func appendMarkdown(path string, rs []Result) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n%s UTC, %s\n\n%s", time.Now().UTC().Format("2006-01-02 15:04"), machine(), MarkdownHeader)
	for _, r := range rs {
		fmt.Fprint(f, r.Markdown())
	}
	return nil
}
