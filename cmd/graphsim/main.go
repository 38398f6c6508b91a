// Command graphsim runs simulated Entra tenants behind a Microsoft Graph
// v1.0-compatible HTTPS API. It prints one JSON line per tenant on stdout
// (tenant_id, domain, client_id, client_secret, graph_url, authority_url,
// ca_file) and serves until interrupted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xtsync/xtsync/graphsim"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "graphsim:", err)
		os.Exit(1)
	}
}

type flags struct {
	addr, tenantsFile, caFile, logLevel string
	tlsHosts                            []string
	plainHTTP                           bool
	tenants, users, groups              int
	seed                                int64
	writesPerMinute, readsPerMinute     int
	latency, jitter                     time.Duration
	faultRate                           float64
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("graphsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	fs.BoolVar(&f.plainHTTP, "plain-http", false, "serve http:// instead of HTTPS (the real SDK needs HTTPS)")
	fs.StringVar(&f.caFile, "ca-file", "", "where to write the generated CA certificate (default: a file in the temp dir)")
	fs.Func("tls.hosts", "comma-separated names or IPs the certificate covers besides localhost (e.g. graphsim in compose); "+
		"with -addr 0.0.0.0 the first is the host of the URLs graphsim hands out", func(v string) error {
		f.tlsHosts = nil
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				f.tlsHosts = append(f.tlsHosts, h)
			}
		}
		return nil
	})
	fs.StringVar(&f.tenantsFile, "tenants-file", "", "JSON file of tenant specs; overrides -tenants/-users/-groups/-seed")
	fs.IntVar(&f.tenants, "tenants", 2, "number of tenants to create (contoso.example, fabrikam.example, ...)")
	fs.IntVar(&f.users, "users", 1000, "users seeded per tenant")
	fs.IntVar(&f.groups, "groups", 50, "groups seeded per tenant")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the deterministic tenant generator")
	fs.IntVar(&f.writesPerMinute, "writes-per-minute", 0, "write budget per app per tenant (0 = Graph's 2000, -1 = unlimited)")
	fs.IntVar(&f.readsPerMinute, "reads-per-minute", 0, "read budget per app per tenant (0 = default, -1 = unlimited)")
	fs.DurationVar(&f.latency, "latency", 0, "latency added to every Graph request")
	fs.DurationVar(&f.jitter, "latency-jitter", 0, "extra uniform random latency 0..jitter")
	fs.Float64Var(&f.faultRate, "fault-rate", 0, "fraction (0..1) of requests answered 500/503/504")
	fs.StringVar(&f.logLevel, "log.level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if f.faultRate < 0 || f.faultRate > 1 {
		return f, fmt.Errorf("-fault-rate: %v is not between 0 and 1", f.faultRate)
	}
	if f.tenants < 1 {
		return f, fmt.Errorf("-tenants: %d, want at least 1", f.tenants)
	}
	return f, nil
}

func (f flags) specs() ([]graphsim.TenantSpec, error) {
	limits := graphsim.Limits{
		WritesPerMinute: f.writesPerMinute, ReadsPerMinute: f.readsPerMinute,
		Latency: f.latency, LatencyJitter: f.jitter, FaultRate: f.faultRate,
	}
	if f.tenantsFile != "" {
		specs, err := graphsim.LoadTenantsFile(f.tenantsFile)
		if err != nil {
			return nil, fmt.Errorf("-tenants-file: %w", err)
		}
		return specs, nil
	}
	specs := make([]graphsim.TenantSpec, f.tenants)
	for i := range specs {
		specs[i] = graphsim.TenantSpec{Users: f.users, Groups: f.groups, Seed: f.seed + int64(i), Limits: limits}
	}
	return specs, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("-log.level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	specs, err := f.specs()
	if err != nil {
		return err
	}
	caFile := f.caFile
	if caFile == "" && !f.plainHTTP {
		caFile = filepath.Join(os.TempDir(), fmt.Sprintf("graphsim-ca-%d.pem", os.Getpid()))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	srv, err := graphsim.Start(ctx, graphsim.Options{
		Addr: f.addr, PlainHTTP: f.plainHTTP, Tenants: specs, CAFile: caFile, Hosts: f.tlsHosts, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer srv.Close()
	logger.Info("graphsim ready", "tenants", len(specs), "base_url", srv.BaseURL(), "seeded_in", time.Since(start).String())
	enc := json.NewEncoder(stdout)
	for _, line := range srv.TenantLines() {
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write tenant line: %w", err)
		}
	}
	<-ctx.Done()
	logger.Info("graphsim stopping")
	return nil
}
