package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/synclog"
)

// Options is one scale run: the tenants, the deployment and the cycles.
type Options struct {
	Scenario string
	// Users and Groups size the source tenant; TargetUsers each target.
	Users, Groups, TargetUsers int
	// Scope "all": every enabled user (no group sync); "groups": the
	// source's supported groups with members are assigned (groups synced
	// with their members, users in scope through them).
	Scope string
	// Configs is the number of configurations, one target tenant each,
	// all from the one source, run at the same time.
	Configs int
	// Writers 0 runs every service in one process (-target=all); W > 0
	// runs scheduler, synclog, reader and transformer processes and W
	// writer processes splitting the IntentShards.
	Writers      int
	IntentShards int
	// WritesPerMinute is the writers' shared budget per target tenant
	// (0: the tenant's budget, or unlimited); TenantWritesPerMinute is
	// the target tenant's own (graphsim; -1 unlimited), TenantBurst its
	// bucket (0: ten seconds' worth).
	WritesPerMinute       int
	WriteBurst            int
	TenantWritesPerMinute int
	TenantBurst           int
	// Latency (+ uniform LatencyJitter) of every target Graph request.
	Latency, LatencyJitter time.Duration
	// Deltas are delta cycles after the initial one, each after that many
	// random source changes.
	Deltas []int
	Seed   uint64

	Xtsync     string
	Flags      []string
	ProfileDir string
	// ProfileStart is how far into each cycle the CPU profiles start
	// (a delta cycle can be shorter than the default 3 s).
	ProfileStart time.Duration
	NoSyncAlways bool
	Timeout      time.Duration
	// NoCheck skips reading both tenants back after each cycle.
	NoCheck bool
	// Keep leaves the work directory (logs, stores) behind.
	Keep bool
	Log  io.Writer
}

const unlimitedWrites = 100_000_000

func (o Options) writerBudget() int {
	switch {
	case o.WritesPerMinute > 0:
		return o.WritesPerMinute
	case o.TenantWritesPerMinute > 0:
		return o.TenantWritesPerMinute
	}
	return unlimitedWrites
}

func (o Options) writerBurst() int {
	if o.WriteBurst > 0 {
		return o.WriteBurst
	}
	return 200
}

// budget is the tenants' write budget per second, all targets together (0:
// unlimited).
func (o Options) budget() float64 {
	b := o.TenantWritesPerMinute
	if b <= 0 && o.WritesPerMinute > 0 {
		b = o.WritesPerMinute
	}
	if b <= 0 {
		return 0
	}
	return float64(b*o.Configs) / 60
}

// ProcFigure is one process's share of a cycle.
type ProcFigure struct {
	Name    string
	CPU     time.Duration
	PeakRSS int64
}

// Result is one cycle of one run: what the report prints.
type Result struct {
	Scenario, Cycle string
	Deployment      string
	Load            string // load average at the start and the end
	InScopeUsers    int
	InScopeGroups   int
	Objects         int64 // objects the cycles logged (all configurations)
	Changes         int   // source changes made before a delta cycle
	ByAction        map[string]int64
	Failed          int64
	Duration        time.Duration   // longest configuration's cycle
	PerConfig       []time.Duration // each configuration's cycle
	Requests        int64
	Writes          int64 // accepted by the targets (429s not counted)
	Throttled       int64
	WriteWindow     time.Duration // first to last write seen
	Budget          float64       // writes/s, 0 = unlimited
	Procs           []ProcFigure
	// JetStream: peak bytes and messages in flight (changes + intents),
	// and bytes per change carried (stored bytes of the messages
	// published during the cycle / objects).
	JSPeakBytes, JSPeakMsgs       uint64
	JSChangeBytes, JSIntentBytes  float64
	JSStoredBytes                 uint64 // every stream, end of the cycle
	RedisUsedBefore, RedisUsedEnd int64
	Mirrored                      bool
	Problems                      []string
	Profiles                      []string
	// Heaps are the heap watch's snapshots (-pprof): each process's last
	// new RSS highs.
	Heaps []MemSnapshot
}

// UsersPerSecond is in-scope users over the cycle.
func (r Result) UsersPerSecond() float64 {
	return float64(r.Objects) / r.Duration.Seconds()
}

// WriteRate is writes/s over the write window.
func (r Result) WriteRate() float64 {
	if r.WriteWindow <= 0 {
		return 0
	}
	return float64(r.Writes) / r.WriteWindow.Seconds()
}

// Run deploys the cluster, runs the initial cycle and the delta cycles,
// and returns one Result per cycle.
func Run(ctx context.Context, o Options) (results []Result, err error) {
	if o.Configs < 1 {
		o.Configs = 1
	}
	if o.IntentShards == 0 {
		o.IntentShards = 16
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	logf := func(format string, a ...any) { fmt.Fprintf(o.Log, time.Now().Format("15:04:05 ")+format+"\n", a...) }
	dir, err := os.MkdirTemp("", "xtsync-scale-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if o.Keep || err != nil {
			logf("work directory kept: %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	if o.Xtsync == "" {
		o.Xtsync = filepath.Join(dir, "xtsync")
		logf("building xtsync into %s", o.Xtsync)
		if err := buildXtsync(ctx, o.Xtsync); err != nil {
			return nil, err
		}
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	seedStart := time.Now()
	c, err := startCluster(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	defer c.shutdown()
	logf("graphsim: %d source users, %d groups, %d target tenant(s) seeded in %s", c.source.UserCount(), c.source.GroupCount(), len(c.targets), time.Since(seedStart).Round(time.Millisecond))
	if err := c.startServices(ctx); err != nil {
		return nil, err
	}
	deployment := "all-in-one"
	if o.Writers > 0 {
		deployment = fmt.Sprintf("5 processes, %d writer(s)", o.Writers)
	}

	sc := mirror.Scope{AllUsers: o.Scope != "groups"}
	if !sc.AllUsers {
		for _, id := range c.source.GroupIDs() {
			if g, ok := c.source.Group(id); ok && mirror.SupportedGroup(g) && len(g.Members) > 0 {
				sc.AssignedGroups = append(sc.AssignedGroups, id)
			}
		}
	}
	mirrors := make([]*mirror.Mirror, len(c.targets))
	cfgIDs := make([]string, len(c.targets))
	for i, t := range c.targets {
		mirrors[i] = mirror.New(t, sc)
		if cfgIDs[i], err = c.createConfig(ctx, i, sc.Rules()); err != nil {
			return nil, err
		}
	}
	rnd := rand.New(rand.NewPCG(o.Seed, 0x5ca1e))
	cycles := append([]int{0}, o.Deltas...)
	for k, changes := range cycles {
		name := "initial"
		if k > 0 {
			name = fmt.Sprintf("delta %d", changes)
			if err := applyChanges(c.source, sc, changes, rnd); err != nil {
				return results, err
			}
		}
		users, groups := sc.Counts(c.source)
		logf("%s cycle: %d users and %d groups in scope, %d configuration(s), %s", name, users, groups, len(cfgIDs), deployment)
		r, err := c.runCycles(ctx, cfgIDs, name, logf)
		if err != nil {
			return results, err
		}
		r.Scenario, r.Deployment, r.Changes = o.Scenario, deployment, changes
		r.InScopeUsers, r.InScopeGroups = users, groups
		if !o.NoCheck {
			r.Mirrored = true
			for i, m := range mirrors {
				p := m.Diff(c.source, c.targets[i])
				if len(p) > 0 {
					r.Mirrored = false
					r.Problems = append(r.Problems, p...)
				}
			}
		}
		logf("%s cycle done in %s: %d objects, %d writes, %d throttled, mirrored=%v", name, r.Duration.Round(time.Millisecond), r.Objects, r.Writes, r.Throttled, r.Mirrored)
		results = append(results, r)
	}
	return results, nil
}

func buildXtsync(ctx context.Context, out string) error {
	cmd := execCommand(ctx, "go", "build", "-o", out, "github.com/xtsync/xtsync/cmd/xtsync")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build xtsync: %w", err)
	}
	return nil
}

// runCycles starts one cycle per configuration at once and samples the
// cluster until every one completed.
func (c *cluster) runCycles(ctx context.Context, cfgIDs []string, name string, logf func(string, ...any)) (Result, error) {
	r := Result{Cycle: name, Budget: c.o.budget(), ByAction: map[string]int64{}, Load: loadAvg()}
	pids := map[*proc]string{}
	before := map[string]procSample{}
	for _, p := range c.services() {
		pids[p] = fmt.Sprint(p.cmd.Process.Pid)
	}
	pids[c.redis] = fmt.Sprint(c.redis.cmd.Process.Pid)
	for _, pid := range pids {
		resetPeak(pid)
	}
	resetPeak("self")
	for p, pid := range pids {
		before[p.name], _ = sampleProc(pid)
	}
	selfBefore, _ := sampleProc("self")
	statsBefore := c.targetStats()
	streamsBefore, err := streamStates(ctx, c.js)
	if err != nil {
		return r, err
	}
	if r.RedisUsedBefore, err = c.redisUsedMemory(ctx); err != nil {
		return r, err
	}

	start := time.Now()
	cycleIDs := make([]string, len(cfgIDs))
	for i, id := range cfgIDs {
		if cycleIDs[i], err = c.startCycle(ctx, id); err != nil {
			return r, err
		}
	}
	var profDone chan struct{}
	if c.o.ProfileDir != "" {
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			r.Profiles = c.profile(ctx, name)
		}()
	}
	var heapsDone chan []MemSnapshot
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if c.o.ProfileDir != "" {
		heapsDone = make(chan []MemSnapshot, 1)
		go func() { heapsDone <- c.watchHeaps(watchCtx, name, start) }()
	}
	done := make([]synclog.Progress, len(cfgIDs))
	r.PerConfig = make([]time.Duration, len(cfgIDs))
	var firstWrite, lastWrite time.Time
	var chB, chM, inB, inM uint64 // sampled bytes and messages in flight
	lastWrites := statsBefore.Writes
	lastLog := time.Now()
	for {
		pending := 0
		for i := range cfgIDs {
			if !done[i].Completed.IsZero() {
				continue
			}
			p, err := c.progress(ctx, cfgIDs[i], cycleIDs[i])
			switch {
			case errors.Is(err, synclog.ErrCycleNotFound):
				pending++
			case err != nil:
				return r, err
			case p.Completed.IsZero():
				pending++
				if time.Since(lastLog) > 10*time.Second && i == 0 {
					st := c.targetStats()
					logf("  %s: %d/%d logged, %d writes, %d throttled (load %s)", name, p.Logged, p.Expected,
						st.Writes-statsBefore.Writes, st.Throttled-statsBefore.Throttled, loadAvg())
					lastLog = time.Now()
				}
			default:
				done[i] = p
				r.PerConfig[i] = time.Since(start)
			}
		}
		now := time.Now()
		if st := c.targetStats(); st.Writes != lastWrites {
			if firstWrite.IsZero() {
				firstWrite = now
			}
			lastWrite, lastWrites = now, st.Writes
		}
		if ss, err := streamStates(ctx, c.js); err == nil {
			b := ss[natsx.StreamChanges].Bytes + ss[natsx.StreamIntents].Bytes
			m := ss[natsx.StreamChanges].Msgs + ss[natsx.StreamIntents].Msgs
			if b > r.JSPeakBytes {
				r.JSPeakBytes = b
			}
			if m > r.JSPeakMsgs {
				r.JSPeakMsgs = m
			}
			// Bytes per message while messages are in flight, averaged
			// over the samples.
			chB += ss[natsx.StreamChanges].Bytes
			chM += ss[natsx.StreamChanges].Msgs
			inB += ss[natsx.StreamIntents].Bytes
			inM += ss[natsx.StreamIntents].Msgs
		}
		for p := range pids {
			if p.exited() {
				return r, fmt.Errorf("%s exited during the cycle: %v\n%s", p.name, p.err, tail(p.log, 40))
			}
		}
		if pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("%s cycle did not complete: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.Duration = time.Since(start)
	if stopWatch(); heapsDone != nil {
		r.Heaps = <-heapsDone
	}
	if !firstWrite.IsZero() {
		// Writes are seen at 100 ms resolution: count one period for the first.
		r.WriteWindow = lastWrite.Sub(firstWrite) + 100*time.Millisecond
	}
	for _, p := range done {
		r.Objects += p.Expected
		r.Failed += p.Failed
		for k, v := range p.ByAction {
			r.ByAction[k] += v
		}
	}
	st := c.targetStats()
	// graphsim counts a write answered 429 as a write too; the targets'
	// reads are unlimited, so every 429 is a refused write.
	r.Requests, r.Throttled = st.Requests-statsBefore.Requests, st.Throttled-statsBefore.Throttled
	r.Writes = st.Writes - statsBefore.Writes - r.Throttled
	names := slices.Sorted(maps.Keys(before))
	for p, pid := range pids {
		s, err := sampleProc(pid)
		if err != nil {
			return r, err
		}
		r.Procs = append(r.Procs, ProcFigure{Name: p.name, CPU: s.CPU - before[p.name].CPU, PeakRSS: s.PeakRSS})
	}
	slices.SortFunc(r.Procs, func(a, b ProcFigure) int {
		return slices.Index(names, a.Name) - slices.Index(names, b.Name)
	})
	self, _ := sampleProc("self")
	r.Procs = append(r.Procs, ProcFigure{Name: "harness (nats-server, graphsim)", CPU: self.CPU - selfBefore.CPU, PeakRSS: self.PeakRSS})
	ss, err := streamStates(ctx, c.js)
	if err != nil {
		return r, err
	}
	if chM > 0 {
		r.JSChangeBytes = float64(chB) / float64(chM)
	}
	if inM > 0 {
		r.JSIntentBytes = float64(inB) / float64(inM)
	}
	// Average stored message size times messages published, per object.
	if r.Objects > 0 {
		nc := float64(ss[natsx.StreamChanges].LastSeq - streamsBefore[natsx.StreamChanges].LastSeq)
		ni := float64(ss[natsx.StreamIntents].LastSeq - streamsBefore[natsx.StreamIntents].LastSeq)
		r.JSChangeBytes *= nc / float64(r.Objects)
		r.JSIntentBytes *= ni / float64(r.Objects)
	}
	for _, s := range ss {
		r.JSStoredBytes += s.Bytes
	}
	if r.RedisUsedEnd, err = c.redisUsedMemory(ctx); err != nil {
		return r, err
	}
	r.Load += " → " + loadAvg()
	if profDone != nil {
		<-profDone
	}
	return r, nil
}

// targetStats sums the Graph counters of every target tenant.
func (c *cluster) targetStats() graphsim.Stats {
	var s graphsim.Stats
	for _, t := range c.targets {
		st := t.Stats()
		s.Requests += st.Requests
		s.Writes += st.Writes
		s.Throttled += st.Throttled
		s.Faults += st.Faults
	}
	return s
}

// profile takes a CPU profile of every service process a few seconds into
// the cycle, then a heap profile, from /debug/pprof on -http.listen-addr.
func (c *cluster) profile(ctx context.Context, cycle string) []string {
	if err := os.MkdirAll(c.o.ProfileDir, 0o755); err != nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(c.o.ProfileStart):
	}
	var out []string
	tag := strings.ReplaceAll(cycle, " ", "-")
	fetch := func(p *proc, kind, query string) {
		url := "http://" + p.httpAddr + "/debug/pprof/" + kind + query
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return
		}
		path := filepath.Join(c.o.ProfileDir, fmt.Sprintf("%s-%s-%s.pprof", c.o.Scenario, tag, p.name+"-"+kind))
		f, err := os.Create(path)
		if err != nil {
			return
		}
		defer f.Close()
		if _, err := io.Copy(f, resp.Body); err == nil {
			out = append(out, path)
		}
	}
	// This process too: nats-server and graphsim run here.
	if f, err := os.Create(filepath.Join(c.o.ProfileDir, fmt.Sprintf("%s-%s-harness-profile.pprof", c.o.Scenario, tag))); err == nil {
		if err := pprof.StartCPUProfile(f); err == nil {
			time.AfterFunc(20*time.Second, func() {
				pprof.StopCPUProfile()
				_ = f.Close()
			})
			out = append(out, f.Name())
		}
	}
	procs := c.services()
	done := make(chan struct{}, len(procs))
	for _, p := range procs {
		go func() {
			defer func() { done <- struct{}{} }()
			fetch(p, "profile", "?seconds=20")
		}()
	}
	for range procs {
		<-done
	}
	for _, p := range procs {
		fetch(p, "heap", "")
	}
	return out
}

// applyChanges makes n random changes to the source, as HR and admins do
// between cycles: most are attribute updates of users in scope, some
// disable or delete users, some add new hires (members of an assigned
// group when the scope is by groups).
func applyChanges(source *graphsim.Tenant, sc mirror.Scope, n int, r *rand.Rand) error {
	userIn, _ := sc.InScope(source)
	var users []string
	for _, id := range source.UserIDs()[1:] { // the manager tree's root stays
		if u, ok := source.User(id); ok && userIn(u) {
			users = append(users, id)
		}
	}
	if len(users) < 2*n {
		return fmt.Errorf("%d changes need %d users in scope, have %d", n, 2*n, len(users))
	}
	r.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	var static []string // assigned groups a member can be added to
	for _, id := range sc.AssignedGroups {
		if g, ok := source.Group(id); ok && !slices.Contains(g.GroupTypes, "DynamicMembership") {
			static = append(static, id)
		}
	}
	for i := range n {
		var err error
		switch k := i % 20; {
		case k < 14: // title and name changes
			err = source.UpdateUser(users[i], func(u *graphsim.User) {
				u.JobTitle = fmt.Sprintf("Senior %s %d", strings.TrimPrefix(u.JobTitle, "Senior "), i)
				if i%3 == 0 {
					u.DisplayName += " (Contractor)"
				}
			})
		case k < 16: // leavers
			err = source.UpdateUser(users[i], func(u *graphsim.User) { u.AccountEnabled = false })
		case k < 18:
			err = source.DeleteUser(users[i])
		default: // new hires
			nick := fmt.Sprintf("scale.hire%d.%d", r.Uint32(), i)
			var u graphsim.User
			u, err = source.AddUser(graphsim.User{
				UserPrincipalName: nick + "@" + source.Domain(), Mail: nick + "@" + source.Domain(), MailNickname: nick,
				DisplayName: "New Hire " + nick, GivenName: "New", Surname: "Hire", Department: "Engineering",
				JobTitle: "Analyst", AccountEnabled: true,
			})
			if err == nil && len(static) > 0 {
				err = source.AddMember(static[r.IntN(len(static))], u.ID)
			}
		}
		if err != nil {
			return fmt.Errorf("source change %d: %w", i, err)
		}
	}
	return nil
}
