package app

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The process's soft memory limit (runtime/debug.SetMemoryLimit): the Go
// runtime collects harder as the process nears it instead of letting the
// heap double past the live data (GOGC), which is where a cycle's
// transient peaks went. It is soft: live data above it is not refused,
// only collected for more often (at most ~50% of the CPU).
const (
	// DefaultMemoryLimit is the limit without a cgroup limit or GOMEMLIMIT.
	DefaultMemoryLimit int64 = 1 << 30
	// cgroupShare of a container's memory limit is the default there: the
	// rest is for what the Go runtime does not count (the redis-server
	// child of the all-in-one is another process, but cgo, page cache of
	// the JetStream store, kernel buffers are charged to the container).
	cgroupShare = 0.9
	// MemoryLimitAuto is -memory.limit's default.
	MemoryLimitAuto = "auto"
)

// cgroupMemoryMax is cgroup v2's limit of this process's container.
var cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// MemoryLimit is the limit the process runs with and where it came from.
type MemoryLimit struct {
	Bytes int64 // 0: no limit set by xtsync (the runtime's own, or none)
	// Source is "flag", "GOMEMLIMIT", "cgroup", "default" or "off".
	Source string
}

// ResolveMemoryLimit decides the limit: an explicit -memory.limit (a size
// such as 900MiB or 1GiB, bytes, or "off") wins; with "auto", a
// GOMEMLIMIT in the environment is left to the runtime (which applied it
// at start), else cgroupShare of the container's limit, else
// DefaultMemoryLimit. cgroupMax is memory.max's content ("" when absent).
func ResolveMemoryLimit(flagValue, envGOMEMLIMIT, cgroupMax string) (MemoryLimit, error) {
	switch v := strings.TrimSpace(flagValue); {
	case v == "off":
		return MemoryLimit{Source: "off"}, nil
	case v != "" && v != MemoryLimitAuto:
		b, err := parseSize(v)
		if err != nil {
			return MemoryLimit{}, fmt.Errorf("memory.limit %q: %w", flagValue, err)
		}
		return MemoryLimit{Bytes: b, Source: "flag"}, nil
	}
	if strings.TrimSpace(envGOMEMLIMIT) != "" {
		return MemoryLimit{Source: "GOMEMLIMIT"}, nil
	}
	if s := strings.TrimSpace(cgroupMax); s != "" && s != "max" {
		if b, err := strconv.ParseInt(s, 10, 64); err == nil && b > 0 {
			return MemoryLimit{Bytes: int64(float64(b) * cgroupShare), Source: "cgroup"}, nil
		}
	}
	return MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}, nil
}

// ApplyMemoryLimit resolves the limit from -memory.limit, the environment
// and the cgroup, and sets it (a process-wide setting: call it from main,
// once).
func ApplyMemoryLimit(flagValue string) (MemoryLimit, error) {
	cg, _ := os.ReadFile(cgroupMemoryMax) // absent outside a cgroup v2 container
	l, err := ResolveMemoryLimit(flagValue, os.Getenv("GOMEMLIMIT"), string(cg))
	if err != nil {
		return l, err
	}
	switch {
	case l.Bytes > 0:
		debug.SetMemoryLimit(l.Bytes)
	case l.Source == "off":
		debug.SetMemoryLimit(1<<63 - 1) // the runtime's "no limit"
	default:
		l.Bytes = debug.SetMemoryLimit(-1) // GOMEMLIMIT's, as the runtime parsed it
	}
	return l, nil
}

// parseSize reads bytes with an optional binary (KiB, MiB, GiB) or
// decimal (KB, MB, GB) unit.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mul := s, int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mul = strings.TrimSpace(n), u.mul
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, errors.New("not a size: use bytes or a unit (900MiB, 1GiB), or off")
	}
	b := v * float64(mul)
	if b < 64<<20 || b > 1<<50 {
		return 0, errors.New("must be between 64MiB and 1PiB")
	}
	return int64(b), nil
}
