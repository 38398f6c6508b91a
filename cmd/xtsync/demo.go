package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/app"
)

// demoConfig is the demo's own flags; the process itself is configured by
// app.Config like any other run (only the tenants and tokens are made up).
type demoConfig struct {
	Users, Groups, TargetUsers int
	ExitAfterFirstCycle        bool
	Interval                   time.Duration
	Poll                       time.Duration

	dataDirSet bool
}

func (d *demoConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&d.Users, "demo.users", 1000, "Users of the simulated source tenant (contoso.example).")
	fs.IntVar(&d.Groups, "demo.groups", 50, "Groups of the simulated source tenant.")
	fs.IntVar(&d.TargetUsers, "demo.target-users", 100, "Native users of the simulated target tenant (fabrikam.example).")
	fs.BoolVar(&d.ExitAfterFirstCycle, "demo.exit-after-first-cycle", false, "Exit after the initial cycle's summary (scripts, CI).")
	fs.DurationVar(&d.Interval, "demo.interval", 5*time.Minute, "Schedule interval of the demo configuration (5m..24h).")
	fs.DurationVar(&d.Poll, "demo.poll", time.Second, "How often progress is printed.")
}

// demo is a running demo: the simulated tenants, the process, and an
// authenticated connection to its gRPC API. The end-to-end test drives it
// further than runDemo does.
type demo struct {
	sim            *graphsim.Server
	source, target *graphsim.Tenant
	app            *app.App
	conn           *grpc.ClientConn
	preB2B         int // the target's B2B users before xtsync ran
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
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{Domain: "contoso.example", Users: d.Users, Groups: d.Groups},
		{Domain: "fabrikam.example", Users: d.TargetUsers},
	}})
	if err != nil {
		return nil, fmt.Errorf("start graphsim: %w", err)
	}
	dm.sim = sim
	dm.cleanup = append(dm.cleanup, func() { _ = sim.Close() })
	dm.source, dm.target = sim.Tenants()[0], sim.Tenants()[1]
	dm.preB2B = countB2B(dm.target)
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
	if _, err := rand.Read(b); err != nil {
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
// first cycle with progress, print the summary, then keep running on the
// schedule until ctx ends (or exit after the first cycle).
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
	fmt.Fprintf(out, "configuration %s: %s -> %s, schedule every %s\n", cfgID, dm.source.Domain(), dm.target.Domain(), d.Interval)
	cycleID, err := api.start(ctx, cfgID)
	if err != nil {
		return err
	}
	began := time.Now()
	p, err := dm.waitCycle(ctx, cfgID, cycleID, d.Poll, out)
	if err != nil {
		return err
	}
	printSummary(out, dm, p, time.Since(began))
	if d.ExitAfterFirstCycle {
		return dm.stop()
	}
	fmt.Fprintf(out, "running on the schedule (next cycle in %s); Ctrl-C to stop\n", d.Interval)
	select {
	case <-ctx.Done():
		return dm.stop()
	case err := <-dm.runErr:
		dm.cancel = nil
		return fmt.Errorf("xtsync stopped: %w", errOrStopped(err))
	}
}

func printSummary(out io.Writer, dm *demo, p cycleProgress, took time.Duration) {
	var inScope int64
	for action, n := range p.ByAction {
		if action != "Skip" {
			inScope += n
		}
	}
	fmt.Fprintf(out, "\ninitial cycle %s complete in %s\n", p.CycleID, took.Round(100*time.Millisecond))
	fmt.Fprintf(out, "  source:         %s, %d users, %d groups (%d objects read)\n",
		dm.source.Domain(), dm.source.UserCount(), dm.source.GroupCount(), p.Expected)
	fmt.Fprintf(out, "  users in scope: %d\n", inScope)
	fmt.Fprintf(out, "  created:        %d\n", p.ByAction["Create"])
	fmt.Fprintf(out, "  skipped:        %d (out of scope: disabled or external users; groups, not provisioned by the demo rules)\n", p.ByStatus["Skipped"])
	fmt.Fprintf(out, "  failed:         %d\n", p.Failed)
	fmt.Fprintf(out, "  by action:      %s\n", formatCounts(p.ByAction))
	fmt.Fprintf(out, "  by status:      %s\n", formatCounts(p.ByStatus))
	fmt.Fprintf(out, "  %s now has %d B2B users (%d before the cycle; %d users in all)\n",
		dm.target.Domain(), countB2B(dm.target), dm.preB2B, dm.target.UserCount())
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
