package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/app"
	"github.com/xtsync/xtsync/services/writer"
)

// demoConfig is the demo's own flags; the process itself is configured by
// app.Config like any other run (only the tenants and tokens are made up).
type demoConfig struct {
	Users, Groups, TargetUsers int
	// Changes is how many random source changes the delta cycle carries;
	// Seed drives them and the simulated tenants, so runs repeat.
	Changes             int
	Seed                int64
	ExitAfterFirstCycle bool
	KeepRunning         bool
	Interval            time.Duration
	Poll                time.Duration

	dataDirSet bool
	// budgetSet: -writer.writes-per-minute was given, so the demo keeps it.
	budgetSet bool
	fs        *flag.FlagSet
}

// demoWritesPerMinute is the demo's write budget: Graph's documented 2,000
// writes per minute would make a few thousand objects with memberships
// take many minutes, so the demo raises it (and graphsim's limit with it).
const demoWritesPerMinute = 10000

func (d *demoConfig) RegisterFlags(fs *flag.FlagSet) {
	d.fs = fs
	fs.IntVar(&d.Users, "demo.users", 2000, "Users of the simulated source tenant (contoso.example).")
	fs.IntVar(&d.Groups, "demo.groups", 50, "Groups of the simulated source tenant.")
	fs.IntVar(&d.TargetUsers, "demo.target-users", 100, "Native users of the simulated target tenant (fabrikam.example).")
	fs.IntVar(&d.Changes, "demo.changes", 40, "Random source changes between the initial and the delta cycle (0: no delta cycle).")
	fs.Int64Var(&d.Seed, "demo.seed", 1, "Seed of the simulated tenants and of the random changes (same seed, same run).")
	fs.BoolVar(&d.ExitAfterFirstCycle, "demo.exit-after-first-cycle", false, "Exit after the initial cycle's summary, without changes or delta cycle.")
	fs.BoolVar(&d.KeepRunning, "demo.keep-running", false, "After the summaries keep running on the schedule until Ctrl-C.")
	fs.DurationVar(&d.Interval, "demo.interval", 40*time.Minute, "Schedule interval of the demo configuration (5m..24h); the demo starts its cycles itself.")
	fs.DurationVar(&d.Poll, "demo.poll", 250*time.Millisecond, "How often progress is read.")
}

// demo is a running demo: the simulated tenants, the process, and an
// authenticated connection to its gRPC API. The end-to-end test drives it
// further than runDemo does.
type demo struct {
	sim            *graphsim.Server
	source, target *graphsim.Tenant
	app            *app.App
	conn           *grpc.ClientConn
	preB2B         int             // the target's B2B users before xtsync ran
	preTarget      map[string]bool // ids of the target's users before xtsync ran
	assigned       []string        // source groups assigned to the configuration
	budget         int             // writes per minute the writers share
	runErr         chan error
	cancel         context.CancelFunc
	cleanup        []func()
}

// startDemo starts graphsim and the five services and connects to the API.
func startDemo(ctx context.Context, cfg app.Config, d demoConfig, logger *slog.Logger) (_ *demo, err error) {
	dm := &demo{runErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			dm.close()
		}
	}()
	if !d.dataDirSet {
		// A fresh store per demo: the simulated tenants are new each run,
		// so yesterday's connector entries would point at nothing.
		dir, err := os.MkdirTemp("", "xtsync-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo data dir: %w", err)
		}
		dm.cleanup = append(dm.cleanup, func() { _ = os.RemoveAll(dir) })
		cfg.DataDir = dir
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo data dir: %w", err)
	}
	simCtx, simCancel := context.WithCancel(context.WithoutCancel(ctx))
	dm.cleanup = append(dm.cleanup, simCancel)
	if !d.budgetSet && (d.fs == nil || !flagSet(d.fs, "writer.writes-per-minute")) {
		cfg.Writer.WritesPerMinute = demoWritesPerMinute
	}
	// graphsim enforces the same budget the writers share, per app per
	// tenant, as Graph does.
	targetLimits := graphsim.Limits{WritesPerMinute: cfg.Writer.WritesPerMinute}
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{Domain: "contoso.example", Users: d.Users, Groups: d.Groups, Seed: d.Seed},
		{Domain: "fabrikam.example", Users: d.TargetUsers, Seed: d.Seed + 1, Limits: targetLimits},
	}})
	if err != nil {
		return nil, fmt.Errorf("start graphsim: %w", err)
	}
	dm.sim = sim
	dm.cleanup = append(dm.cleanup, func() { _ = sim.Close() })
	dm.source, dm.target = sim.Tenants()[0], sim.Tenants()[1]
	dm.budget = cfg.Writer.WritesPerMinute
	dm.preB2B = countB2B(dm.target)
	dm.preTarget = map[string]bool{}
	for _, id := range dm.target.UserIDs() {
		dm.preTarget[id] = true
	}
	// What an admin does in both portals before TestConnection passes:
	// outbound from contoso, inbound sync and auto-redemption at fabrikam.
	dm.source.SetPartnerPolicy(dm.target.ID(), true, false)
	dm.target.SetPartnerPolicy(dm.source.ID(), true, true)
	logger.Info("graphsim started", "graph_url", sim.GraphURL(),
		"source", dm.source.Domain(), "source_users", dm.source.UserCount(), "source_groups", dm.source.GroupCount(),
		"target", dm.target.Domain(), "target_users", dm.target.UserCount())
	for env, t := range map[string]*graphsim.Tenant{envSourceSecret: dm.source, envTargetSecret: dm.target} {
		if err := os.Setenv(env, t.Info().ClientSecret); err != nil {
			return nil, fmt.Errorf("demo credential: %w", err)
		}
	}

	token, err := demoToken(&cfg)
	if err != nil {
		return nil, err
	}
	a, err := app.New(cfg, app.Options{Logger: logger, GraphHTTPClient: sim.HTTPClient()})
	if err != nil {
		return nil, err
	}
	dm.app = a
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	dm.cancel = cancel
	go func() { dm.runErr <- a.Run(runCtx, []string{app.All}) }()
	addr, err := dm.waitServing(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := grpcx.Dial(grpcx.ClientConfig{Target: addr, Token: token})
	if err != nil {
		return nil, err
	}
	dm.conn = conn
	return dm, nil
}

// Environment variables the demo configuration's credential_refs name.
const (
	envSourceSecret = "XTSYNC_DEMO_CONTOSO_SECRET"
	envTargetSecret = "XTSYNC_DEMO_FABRIKAM_SECRET"
)

// demoToken makes a random admin token and a tokens file holding only its
// hash, unless the caller chose -grpc.no-auth or a tokens file.
func demoToken(cfg *app.Config) (string, error) {
	if cfg.GRPC.NoAuth || cfg.GRPC.TokensFile != "" {
		return "", nil
	}
	b := make([]byte, 24)
	if _, err := crand.Read(b); err != nil {
		return "", fmt.Errorf("demo token: %w", err)
	}
	token := hex.EncodeToString(b)
	path := filepath.Join(cfg.DataDir, "tokens.yaml")
	body := fmt.Sprintf("tokens:\n  - name: demo-admin\n    sha256: %s\n    tenants: [\"*\"]\n", grpcx.HashToken(token))
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return "", fmt.Errorf("demo tokens file: %w", err)
	}
	cfg.GRPC.TokensFile = path
	return token, nil
}

// waitServing waits until the process serves gRPC, or its run failed.
func (dm *demo) waitServing(ctx context.Context) (string, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if addr := dm.app.GRPCAddr(); addr != "" {
			return addr, nil
		}
		select {
		case err := <-dm.runErr:
			dm.runErr <- err
			return "", fmt.Errorf("xtsync stopped while starting: %w", errOrStopped(err))
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

func errOrStopped(err error) error {
	if err == nil {
		return errors.New("stopped")
	}
	return err
}

// stop stops the process and waits for it; it returns the run's error.
func (dm *demo) stop() error {
	if dm.cancel == nil {
		return nil
	}
	dm.cancel()
	dm.cancel = nil
	return <-dm.runErr
}

func (dm *demo) close() {
	if dm.conn != nil {
		_ = dm.conn.Close()
	}
	_ = dm.stop()
	for i := len(dm.cleanup) - 1; i >= 0; i-- {
		dm.cleanup[i]()
	}
	dm.cleanup = nil
}

// runDemo is `xtsync -demo`: start, configure through the API, run the
// initial cycle with progress, change the source at random, run a delta
// cycle, print both summaries with a check of the target read back from
// graphsim, then exit (or keep running on the schedule).
func runDemo(ctx context.Context, cfg app.Config, d demoConfig, logger *slog.Logger, out io.Writer) error {
	dm, err := startDemo(ctx, cfg, d, logger)
	if err != nil {
		return err
	}
	defer dm.close()
	api := dm.api()
	cfgID, err := api.configure(ctx, dm, d.Interval)
	if err != nil {
		return err
	}
	dm.printIntro(out, cfgID, d)

	cycleID, err := api.start(ctx, cfgID)
	if err != nil {
		return err
	}
	began := time.Now()
	estimate := int64(dm.source.UserCount() + dm.source.GroupCount())
	p, err := dm.waitCycle(ctx, cfgID, cycleID, d.Poll, newProgressView(out, "initial cycle", estimate))
	if err != nil {
		return err
	}
	took := time.Since(began)
	first := dm.check(nil)
	fails, err := api.failures(ctx, cfgID, cycleID)
	if err != nil {
		return err
	}
	printSummary(out, "initial cycle", dm, p, took, first, fails)
	// Failed outcomes are shown and retried by the next cycles; the demo
	// fails when the target, read back, does not follow the source.
	failed := !first.ok()

	if !d.ExitAfterFirstCycle && d.Changes > 0 {
		ch, err := applyDemoChanges(dm.source, d.Changes, d.Seed, dm.assigned)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nsource changes (seed %d): %s\n", d.Seed, ch)
		cycleID, err = api.startNow(ctx, cfgID)
		if err != nil {
			return err
		}
		began = time.Now()
		p, err = dm.waitCycle(ctx, cfgID, cycleID, d.Poll, newProgressView(out, "delta cycle", -1))
		if err != nil {
			return err
		}
		took = time.Since(began)
		second := dm.check(first.provisioned)
		fails, err := api.failures(ctx, cfgID, cycleID)
		if err != nil {
			return err
		}
		printSummary(out, "delta cycle", dm, p, took, second, fails)
		failed = failed || !second.ok()
	}
	if failed {
		_ = dm.stop()
		return errors.New("the target does not mirror the source (see the summary)")
	}
	if !d.KeepRunning {
		return dm.stop()
	}
	fmt.Fprintf(out, "\nrunning on the schedule (next cycle in %s); Ctrl-C to stop\n", d.Interval)
	select {
	case <-ctx.Done():
		return dm.stop()
	case err := <-dm.runErr:
		dm.cancel = nil
		return fmt.Errorf("xtsync stopped: %w", errOrStopped(err))
	}
}

func (dm *demo) printIntro(out io.Writer, cfgID string, d demoConfig) {
	fmt.Fprintf(out, "configuration %s: %s -> %s, schedule every %s\n", cfgID, dm.source.Domain(), dm.target.Domain(), d.Interval)
	fmt.Fprintf(out, "  source: %d users, %d groups; target: %d users\n", dm.source.UserCount(), dm.source.GroupCount(), dm.target.UserCount())
	fmt.Fprintf(out, "  scope:  %d assigned security groups; their direct members when enabled and in %s\n",
		len(dm.assigned), strings.Join(demoDepartments, ", "))
	if dm.budget != writer.DefaultConfig().WritesPerMinute {
		fmt.Fprintf(out, "  write budget: %d writes/min per target tenant (Graph documents %d: raised %gx for the demo; -writer.writes-per-minute)\n",
			dm.budget, writer.DefaultConfig().WritesPerMinute, float64(dm.budget)/float64(writer.DefaultConfig().WritesPerMinute))
	}
	fmt.Fprintln(out)
}

func printSummary(out io.Writer, title string, dm *demo, p cycleProgress, took time.Duration, c demoCheck, failures []string) {
	st := dm.target.Stats()
	fmt.Fprintf(out, "\n%s %s complete in %s\n", title, p.CycleID, took.Round(100*time.Millisecond))
	fmt.Fprintf(out, "  objects read:   %d (%s: %d users, %d groups)\n",
		p.Expected, dm.source.Domain(), dm.source.UserCount(), dm.source.GroupCount())
	fmt.Fprintf(out, "  by action:      %s\n", formatCounts(p.ByAction))
	fmt.Fprintf(out, "  by status:      %s\n", formatCounts(p.ByStatus))
	fmt.Fprintf(out, "  failed:         %d\n", p.Failed)
	for _, f := range dedupe(failures, 10) {
		fmt.Fprintf(out, "    %s\n", f)
	}
	fmt.Fprintf(out, "  target writes:  %d so far (graphsim's count; %d throttled)\n", st.Writes, st.Throttled)
	fmt.Fprintf(out, "  %s, read back from graphsim:\n", dm.target.Domain())
	fmt.Fprintf(out, "    users:        %d in scope, %d mirrored (%d B2B users; %d before the first cycle)\n",
		c.UsersWant, c.UsersOK, countB2B(dm.target), dm.preB2B)
	fmt.Fprintf(out, "    groups:       %d in scope, %d mirrored\n", c.GroupsWant, c.GroupsOK)
	fmt.Fprintf(out, "    memberships:  %d wanted, %d in place", c.MembershipsWant, c.MembershipsOK)
	if c.MembershipsPending > 0 {
		fmt.Fprintf(out, ", %d pending: users provisioned in this cycle after their group was written; the next cycle adds them", c.MembershipsPending)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "    managers:     %d wanted, %d in place", c.ManagersWant, c.ManagersOK)
	if c.ManagersPending > 0 {
		fmt.Fprintf(out, ", %d pending: managers provisioned in this cycle after their reports; the next cycle sets them", c.ManagersPending)
	}
	fmt.Fprintln(out)
	if c.ok() {
		if c.MembershipsPending+c.ManagersPending > 0 {
			fmt.Fprintln(out, "    the target mirrors the source but for the pending memberships and managers")
		} else {
			fmt.Fprintln(out, "    the target mirrors the source")
		}
		return
	}
	fmt.Fprintf(out, "    %d differences, e.g.:\n", len(c.Problems))
	for _, pr := range c.Problems[:min(len(c.Problems), 10)] {
		fmt.Fprintf(out, "      %s\n", pr)
	}
}

// dedupe collapses repeated lines (one object logged per attempt) into
// "line (xN)", cut to width, at most n of them.
func dedupe(lines []string, n int) []string {
	const width = 220
	count := map[string]int{}
	var order []string
	for _, l := range lines {
		if len(l) > width {
			l = l[:width] + "..."
		}
		if count[l] == 0 {
			order = append(order, l)
		}
		count[l]++
	}
	out := make([]string, 0, min(n, len(order)))
	for _, l := range order[:min(n, len(order))] {
		if count[l] > 1 {
			l += fmt.Sprintf(" (x%d)", count[l])
		}
		out = append(out, l)
	}
	return out
}

// countB2B counts the target's B2B collaboration users, read from graphsim
// (not from xtsync's own records): their UPN carries #EXT#.
func countB2B(t *graphsim.Tenant) int {
	n := 0
	for _, id := range t.UserIDs() {
		if u, ok := t.User(id); ok && strings.Contains(u.UserPrincipalName, "#EXT#") {
			n++
		}
	}
	return n
}

// demoCheck compares the target with what the demo rules make of the
// source, both read from graphsim (never from xtsync's own records).
type demoCheck struct {
	UsersWant, UsersOK   int
	GroupsWant, GroupsOK int
	// MembershipsPending are wanted members provisioned in this very
	// cycle, after their group was written (see check).
	MembershipsWant, MembershipsOK, MembershipsPending int
	// ManagersPending are reports whose manager came into scope in this
	// very cycle after the report was last written: the manager's create
	// queues them for the next cycle (docs/pipeline.md, "Managers in the
	// same cycle").
	ManagersWant, ManagersOK, ManagersPending int
	Problems                                  []string

	provisioned map[string]string // in-scope source user -> B2B user
}

func (c demoCheck) ok() bool { return len(c.Problems) == 0 }

// demoUserInScope is the demo rules for a user: a direct member of an
// assigned group, enabled, in a synchronized department, and internal
// (external users of the source are never synchronized).
func demoUserInScope(u graphsim.User, entitled map[string]bool) bool {
	return entitled[u.ID] && u.DeletedDateTime == nil && u.AccountEnabled &&
		slices.Contains(demoDepartments, u.Department) && !strings.EqualFold(u.UserType, "Guest") &&
		!strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#")
}

// demoGroupInScope: an assigned, live security group.
func demoGroupInScope(g graphsim.Group, assigned map[string]bool) bool {
	return assigned[g.ID] && g.DeletedDateTime == nil && g.SecurityEnabled && !g.MailEnabled
}

// demoInvited is the address the writer invites a source user with, the
// B2B user's mail: mail, else the UPN (the first otherMails entry only
// when a mapping carries otherMails, which the default ones do not).
func demoInvited(u graphsim.User) string {
	if u.Mail != "" {
		return strings.ToLower(u.Mail)
	}
	return strings.ToLower(u.UserPrincipalName)
}

// check reads both tenants: every in-scope source user has exactly one
// live B2B user with the mapped attributes and no other source user has
// one; every in-scope group has exactly one target group (by mail
// nickname) and its members are the B2B users of its in-scope user
// members (nested groups are not synchronized); nothing else was made.
//
// before is the previous check's provisioned users (source id -> target
// id): a member provisioned only in this cycle and missing from its group
// is pending, not missing: the reader reads groups before users, so the
// group may have been written before the B2B user existed, and it is
// revisited next cycle.
func (dm *demo) check(before map[string]string) demoCheck {
	var c demoCheck
	assigned := map[string]bool{}
	entitled := map[string]bool{}
	var groups []graphsim.Group
	for _, id := range dm.assigned {
		if g, ok := dm.source.Group(id); ok && g.DeletedDateTime == nil {
			assigned[id] = true
			for _, m := range g.Members {
				entitled[m] = true
			}
		}
	}
	for _, id := range dm.source.GroupIDs() {
		if g, ok := dm.source.Group(id); ok && demoGroupInScope(g, assigned) {
			groups = append(groups, g)
		}
	}
	b2b := map[string][]graphsim.User{}
	for _, id := range dm.target.UserIDs() {
		if u, ok := dm.target.User(id); ok && !dm.preTarget[id] && u.DeletedDateTime == nil && strings.Contains(u.UserPrincipalName, "#EXT#") {
			b2b[strings.ToLower(u.Mail)] = append(b2b[strings.ToLower(u.Mail)], u)
		}
	}
	tgtOf := map[string]string{}
	c.provisioned = tgtOf
	accounted := map[string]bool{}
	for _, id := range dm.source.UserIDs() {
		src, ok := dm.source.User(id)
		if !ok {
			continue
		}
		got := b2b[demoInvited(src)]
		for _, u := range got {
			accounted[u.ID] = true
		}
		if !demoUserInScope(src, entitled) {
			if len(got) > 0 {
				c.Problems = append(c.Problems, fmt.Sprintf("user %s is out of scope but has a B2B user", src.UserPrincipalName))
			}
			continue
		}
		c.UsersWant++
		if len(got) != 1 {
			c.Problems = append(c.Problems, fmt.Sprintf("user %s has %d B2B users, want 1", src.UserPrincipalName, len(got)))
			continue
		}
		tgt := got[0]
		tgtOf[src.ID] = tgt.ID
		bad := false
		for _, f := range [][3]string{
			{"displayName", src.DisplayName, tgt.DisplayName}, {"givenName", src.GivenName, tgt.GivenName},
			{"surname", src.Surname, tgt.Surname}, {"department", src.Department, tgt.Department},
			{"jobTitle", src.JobTitle, tgt.JobTitle},
		} {
			if f[1] != f[2] {
				bad = true
				c.Problems = append(c.Problems, fmt.Sprintf("user %s: %s is %q in the target, want %q", src.UserPrincipalName, f[0], f[2], f[1]))
			}
		}
		if !tgt.AccountEnabled {
			bad = true
			c.Problems = append(c.Problems, fmt.Sprintf("user %s: disabled in the target", src.UserPrincipalName))
		}
		if !bad {
			c.UsersOK++
		}
	}
	dm.checkManagers(&c, before)
	for mail, us := range b2b {
		for _, u := range us {
			if !accounted[u.ID] {
				c.Problems = append(c.Problems, fmt.Sprintf("B2B user %s (%s) matches no source user", u.ID, mail))
			}
		}
	}

	have := map[string][]graphsim.Group{}
	for _, id := range dm.target.GroupIDs() {
		if g, ok := dm.target.Group(id); ok && g.DeletedDateTime == nil {
			have[strings.ToLower(g.MailNickname)] = append(have[strings.ToLower(g.MailNickname)], g)
		}
	}
	wanted := map[string]bool{}
	for _, g := range groups {
		c.GroupsWant++
		key := strings.ToLower(g.MailNickname)
		wanted[key] = true
		hs := have[key]
		if len(hs) != 1 {
			c.Problems = append(c.Problems, fmt.Sprintf("group %q has %d target groups, want 1", g.DisplayName, len(hs)))
			continue
		}
		h := hs[0]
		if h.DisplayName != g.DisplayName || !h.SecurityEnabled || h.MailEnabled {
			c.Problems = append(c.Problems, fmt.Sprintf("group %q: target is %q, security %v, mail %v", g.DisplayName, h.DisplayName, h.SecurityEnabled, h.MailEnabled))
		} else {
			c.GroupsOK++
		}
		srcOf := map[string]string{} // wanted target member -> source user
		for _, m := range g.Members {
			if t, ok := tgtOf[m]; ok {
				srcOf[t] = m
			}
		}
		got := map[string]bool{}
		for _, m := range h.Members {
			got[m] = true
		}
		c.MembershipsWant += len(srcOf)
		missing, pending, extra := 0, 0, 0
		for t, src := range srcOf {
			switch {
			case got[t]:
				c.MembershipsOK++
			case before[src] == "":
				pending++
			default:
				missing++
			}
		}
		for m := range got {
			if _, ok := srcOf[m]; !ok {
				extra++
			}
		}
		c.MembershipsPending += pending
		if missing+extra > 0 {
			c.Problems = append(c.Problems, fmt.Sprintf("group %q: %d members missing, %d extra in the target", g.DisplayName, missing, extra))
		}
	}
	for key, hs := range have {
		if !wanted[key] {
			for _, h := range hs {
				c.Problems = append(c.Problems, fmt.Sprintf("target group %q matches no in-scope source group", h.DisplayName))
			}
		}
	}
	slices.Sort(c.Problems)
	return c
}

// setDiff returns the elements of a (sorted) not in b (sorted).
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
		}
	}
	return out
}

// demoChanges counts the random source changes by kind.
type demoChanges struct {
	Created, Updated, Disabled, Deleted, MovedOut, MovedIn, MembersAdded, MembersRemoved int
}

func (c demoChanges) String() string {
	return fmt.Sprintf("%d created, %d updated, %d disabled, %d deleted, %d moved out of scope, %d moved into scope, %d members added, %d removed",
		c.Created, c.Updated, c.Disabled, c.Deleted, c.MovedOut, c.MovedIn, c.MembersAdded, c.MembersRemoved)
}

// applyDemoChanges makes about n random changes to the source through
// graphsim, as admins and HR would between two cycles: new hires (added
// to an assigned group), title and name updates, disabled leavers,
// deletions, people moving between a synchronized department and one that
// is not (the scope change), and membership adds and removes. The same
// seed picks the same objects.
func applyDemoChanges(source *graphsim.Tenant, n int, seed int64, assigned []string) (demoChanges, error) {
	var c demoChanges
	r := rand.New(rand.NewPCG(uint64(seed), 0xde770))
	var users []graphsim.User // live internal members, listing order
	for _, id := range source.UserIDs() {
		if u, ok := source.User(id); ok && u.UserType != "Guest" && id != source.UserIDs()[0] {
			users = append(users, u)
		}
	}
	var groups []graphsim.Group // assigned static security groups
	for _, id := range assigned {
		if g, ok := source.Group(id); ok && !slices.Contains(g.GroupTypes, "DynamicMembership") {
			groups = append(groups, g)
		}
	}
	if len(users) < 2*n || len(groups) == 0 {
		return c, fmt.Errorf("demo changes: %d changes need at least %d source users and one static security group", n, 2*n)
	}
	used := map[string]bool{}
	pick := func(ok func(graphsim.User) bool) (graphsim.User, bool) {
		for range 100 {
			u := users[r.IntN(len(users))]
			if !used[u.ID] && ok(u) {
				used[u.ID] = true
				return u, true
			}
		}
		return graphsim.User{}, false
	}
	synced := func(u graphsim.User) bool { return u.AccountEnabled && slices.Contains(demoDepartments, u.Department) }
	other := []string{"Finance", "Legal", "Operations"}
	share := func(part int) int { return max(1, n*part/20) }

	for i := range share(4) { // new hires
		dept := demoDepartments[r.IntN(len(demoDepartments))]
		nick := fmt.Sprintf("new.hire%d.%d", seed, i+1)
		u, err := source.AddUser(graphsim.User{
			UserPrincipalName: nick + "@" + source.Domain(), Mail: nick + "@" + source.Domain(), MailNickname: nick,
			DisplayName: fmt.Sprintf("New Hire %d", i+1), GivenName: "New", Surname: fmt.Sprintf("Hire %d", i+1),
			Department: dept, JobTitle: "Analyst", AccountEnabled: true,
		})
		if err != nil {
			return c, fmt.Errorf("demo changes: %w", err)
		}
		c.Created++
		if err := source.AddMember(groups[r.IntN(len(groups))].ID, u.ID); err != nil {
			return c, fmt.Errorf("demo changes: %w", err)
		}
		c.MembersAdded++
	}
	for range share(5) { // title and name changes
		u, ok := pick(synced)
		if !ok {
			break
		}
		if err := source.UpdateUser(u.ID, func(u *graphsim.User) {
			u.JobTitle = "Senior " + strings.TrimPrefix(u.JobTitle, "Senior ")
			if r.IntN(3) == 0 {
				u.DisplayName += " (Contractor)"
			}
		}); err != nil {
			return c, fmt.Errorf("demo changes: %w", err)
		}
		c.Updated++
	}
	for range share(2) { // leavers: disabled, out of scope
		u, ok := pick(synced)
		if !ok {
			break
		}
		if err := source.UpdateUser(u.ID, func(u *graphsim.User) { u.AccountEnabled = false }); err != nil {
			return c, fmt.Errorf("demo changes: %w", err)
		}
		c.Disabled++
	}
	for range share(2) { // deletions
		u, ok := pick(func(graphsim.User) bool { return true })
		if !ok {
			break
		}
		if err := source.DeleteUser(u.ID); err != nil {
			return c, fmt.Errorf("demo changes: %w", err)
		}
		c.Deleted++
	}
	// The scope change: people move between departments.
	for range share(1) {
		if u, ok := pick(synced); ok {
			if err := source.UpdateUser(u.ID, func(u *graphsim.User) { u.Department = other[r.IntN(len(other))] }); err != nil {
				return c, fmt.Errorf("demo changes: %w", err)
			}
			c.MovedOut++
		}
		if u, ok := pick(func(u graphsim.User) bool { return u.AccountEnabled && slices.Contains(other, u.Department) }); ok {
			if err := source.UpdateUser(u.ID, func(u *graphsim.User) { u.Department = demoDepartments[r.IntN(len(demoDepartments))] }); err != nil {
				return c, fmt.Errorf("demo changes: %w", err)
			}
			c.MovedIn++
		}
	}
	for range share(3) { // membership adds and removes
		g := groups[r.IntN(len(groups))]
		if u, ok := pick(func(u graphsim.User) bool { return !slices.Contains(g.Members, u.ID) }); ok {
			if err := source.AddMember(g.ID, u.ID); err != nil {
				return c, fmt.Errorf("demo changes: %w", err)
			}
			c.MembersAdded++
		}
		g = groups[r.IntN(len(groups))]
		if cur, ok := source.Group(g.ID); ok && len(cur.Members) > 1 {
			m := cur.Members[r.IntN(len(cur.Members))]
			if err := source.RemoveMember(g.ID, m); err != nil {
				return c, fmt.Errorf("demo changes: %w", err)
			}
			c.MembersRemoved++
		}
	}
	return c, nil
}

// checkManagers: every in-scope user whose source manager is in scope has
// the manager's B2B user as its target manager (a manager out of scope is
// never resolvable, not checked). A manager provisioned only in this
// cycle (not in before) whose report was written earlier is pending.
func (dm *demo) checkManagers(c *demoCheck, before map[string]string) {
	for src, tgt := range c.provisioned {
		u, _ := dm.source.User(src)
		want, ok := c.provisioned[u.ManagerID]
		if u.ManagerID == "" || !ok {
			continue
		}
		c.ManagersWant++
		got, _ := dm.target.User(tgt)
		switch {
		case got.ManagerID == want:
			c.ManagersOK++
		case before != nil && before[u.ManagerID] == "" && before[src] != "":
			c.ManagersPending++
		default:
			c.Problems = append(c.Problems, fmt.Sprintf("user %s: target manager %q, want %q", u.UserPrincipalName, got.ManagerID, want))
		}
	}
}
