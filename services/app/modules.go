// Package app runs any subset of xtsync's services in one process, the way
// Loki and Tempo do: every service is a named module with declared
// dependencies, `-target` picks the modules, and the dependency graph
// decides the start order (dependencies first) and the stop order (reverse).
package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// All is the target that selects every user-facing module.
const All = "all"

// Service is a running module. Run blocks until ctx is cancelled (then it
// drains and returns nil) or it fails.
type Service interface {
	Run(ctx context.Context) error
}

// ServiceFunc adapts a function to Service.
type ServiceFunc func(ctx context.Context) error

// Run implements Service.
func (f ServiceFunc) Run(ctx context.Context) error { return f(ctx) }

// Module is one named unit of the process.
type Module struct {
	Name string
	// Deps are modules that must be running before this one starts and
	// that stop only after it has stopped.
	Deps []string
	// Target marks modules a user can name in -target (the five services);
	// the others (nats, redis, grpc) run only as dependencies.
	Target bool
	// Init builds the module once its dependencies are running. A nil
	// Service means the module only initialises shared state.
	Init func(ctx context.Context) (Service, error)
}

// Registry holds the modules of the binary.
type Registry struct {
	modules map[string]Module
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{modules: map[string]Module{}} }

// Register adds a module; registering a name twice is a programming error
// reported by Resolve.
func (r *Registry) Register(m Module) {
	if _, dup := r.modules[m.Name]; dup {
		m.Name += " (duplicate)"
	}
	r.modules[m.Name] = m
}

// Targets lists the names a user can pass to -target, sorted.
func (r *Registry) Targets() []string {
	var out []string
	for name, m := range r.modules {
		if m.Target {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Resolve expands targets ("all" or names) with their dependencies into a
// start order: every module after all of its dependencies.
func (r *Registry) Resolve(targets []string) ([]string, error) {
	for name := range r.modules {
		if strings.HasSuffix(name, " (duplicate)") {
			return nil, fmt.Errorf("module %q registered twice", strings.TrimSuffix(name, " (duplicate)"))
		}
	}
	var roots []string
	for _, t := range targets {
		t = strings.TrimSpace(t)
		switch m, ok := r.modules[t]; {
		case t == All:
			roots = append(roots, r.Targets()...)
		case !ok || !m.Target:
			return nil, fmt.Errorf("-target: unknown target %q (known: %s, %s)", t, All, strings.Join(r.Targets(), ", "))
		default:
			roots = append(roots, t)
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("-target: no target given")
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		m, ok := r.modules[name]
		if !ok {
			return fmt.Errorf("module %q depends on unknown module %q", path[len(path)-1], name)
		}
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(path, " -> "), name)
		}
		state[name] = visiting
		deps := slices.Clone(m.Deps)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	sort.Strings(roots)
	for _, root := range slices.Compact(roots) {
		if err := visit(root, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Describe renders the dependency graph for -list-targets.
func (r *Registry) Describe() string {
	names := make([]string, 0, len(r.modules))
	for name := range r.modules {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		m := r.modules[name]
		kind := "dependency"
		if m.Target {
			kind = "target"
		}
		deps := slices.Clone(m.Deps)
		sort.Strings(deps)
		fmt.Fprintf(&b, "%-12s %-10s needs: %s\n", name, kind, strings.Join(deps, ", "))
	}
	return b.String()
}
