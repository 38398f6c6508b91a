// Command xtsync is the one binary of the sync engine: -target picks the
// services this process runs (default all: scheduler, reader, transformer,
// writer and synclog in one process over loopback gRPC, embedded JetStream
// and a redis-server child). `xtsync -demo` runs the same process against
// two simulated tenants; `xtsync -health` probes a running one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/xtsync/xtsync/services/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	demoMode := false
	if len(args) > 0 && args[0] == "demo" {
		demoMode, args = true, args[1:]
	}
	fs := flag.NewFlagSet("xtsync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	target := fs.String("target", app.All, "Comma-separated modules to run: all, or any of the targets -list-targets prints.")
	list := fs.Bool("list-targets", false, "Print the modules, their kinds and dependencies, and exit.")
	health := fs.Bool("health", false, "Probe the gRPC health service of the process listening on -grpc.listen-addr; exit 0 when it serves.")
	level := fs.String("log.level", "info", "Log level: debug, info, warn, error.")
	format := fs.String("log.format", "json", "Log format: json (one object per line, for collectors) or text; the demo defaults to text.")
	var d demoConfig
	d.RegisterFlags(fs)
	fs.BoolVar(&demoMode, "demo", demoMode, "Run the demo: two simulated tenants, the five services, one configuration through the gRPC API.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "-log.level: %v\n", err)
		return 2
	}
	if demoMode && !flagSet(fs, "log.format") {
		*format = "text"
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var logger *slog.Logger
	switch *format {
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, opts))
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, opts))
	default:
		fmt.Fprintf(stderr, "-log.format: %q is neither json nor text\n", *format)
		return 2
	}

	switch {
	case *health:
		if err := probe(ctx, cfg.GRPC.ListenAddr); err != nil {
			fmt.Fprintf(stderr, "unhealthy: %v\n", err)
			return 1
		}
		return 0
	case *list:
		a, err := app.New(listConfig(cfg), app.Options{Logger: logger})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprint(stdout, a.Registry().Describe())
		return 0
	case demoMode:
		d.dataDirSet = flagSet(fs, "data-dir")
		if !applyMemoryLimit(cfg, logger, stderr) {
			return 2
		}
		if err := runDemo(ctx, cfg, d, logger, stdout); err != nil {
			logger.Error("demo failed", "err", err)
			return 1
		}
		return 0
	}
	tokenFile, err := app.EnsureLocalAdminToken(&cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if tokenFile != "" {
		logger.Info("gRPC API on loopback with a local admin token; send it as a bearer token", "token_file", tokenFile)
	}
	// The process's OTel providers become the globals: otelgrpc and the
	// Graph SDK's own spans read only those.
	a, err := app.New(cfg, app.Options{Logger: logger, SetGlobals: true})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	targets := strings.Split(*target, ",")
	if _, err := a.Registry().Resolve(targets); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if !applyMemoryLimit(cfg, logger, stderr) {
		return 2
	}
	if err := a.Run(ctx, targets); err != nil {
		logger.Error("xtsync stopped", "err", err)
		return 1
	}
	return 0
}

// applyMemoryLimit sets the process's soft memory limit (-memory.limit).
func applyMemoryLimit(cfg app.Config, logger *slog.Logger, stderr io.Writer) bool {
	l, err := app.ApplyMemoryLimit(cfg.MemoryLimit)
	if err != nil {
		fmt.Fprintf(stderr, "-%v\n", err)
		return false
	}
	logger.Info("memory limit", "bytes", l.Bytes, "source", l.Source)
	return true
}

// listConfig lets -list-targets print the graph without the flags a run
// needs (a tokens file).
func listConfig(cfg app.Config) app.Config {
	if cfg.GRPC.TokensFile == "" {
		cfg.GRPC.NoAuth = true
	}
	return cfg
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
