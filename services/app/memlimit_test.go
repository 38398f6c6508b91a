package app

import (
	"flag"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name              string
		flag, env, cgroup string
		want              MemoryLimit
		wantErr           bool
	}{
		{name: "default without cgroup or env", flag: "auto", want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "empty flag is auto", flag: "", want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "unlimited cgroup", flag: "auto", cgroup: "max\n", want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "cgroup limit", flag: "auto", cgroup: "1073741824\n", want: MemoryLimit{Bytes: 966367641, Source: "cgroup"}},
		{name: "unreadable cgroup", flag: "auto", cgroup: "lots", want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "GOMEMLIMIT beats cgroup", flag: "auto", env: "700MiB", cgroup: "1073741824", want: MemoryLimit{Source: "GOMEMLIMIT"}},
		{name: "flag beats GOMEMLIMIT", flag: "900MiB", env: "700MiB", want: MemoryLimit{Bytes: 900 << 20, Source: "flag"}},
		{name: "GiB", flag: "1.5GiB", want: MemoryLimit{Bytes: 3 << 29, Source: "flag"}},
		{name: "decimal unit", flag: "800MB", want: MemoryLimit{Bytes: 800e6, Source: "flag"}},
		{name: "bytes", flag: "536870912", want: MemoryLimit{Bytes: 1 << 29, Source: "flag"}},
		{name: "off", flag: "off", env: "700MiB", want: MemoryLimit{Source: "off"}},
		{name: "too small", flag: "10MiB", wantErr: true},
		{name: "not a size", flag: "lots", wantErr: true},
		{name: "unknown unit", flag: "1TB", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveMemoryLimit(tc.flag, tc.env, tc.cgroup)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestApplyMemoryLimit sets the runtime's limit and leaves it as it was.
func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "")
	l, err := ApplyMemoryLimit("768MiB")
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 768<<20 || l.Bytes != got {
		t.Errorf("runtime limit %d, resolved %+v; want %d", got, l, 768<<20)
	}
	if _, err := ApplyMemoryLimit("off"); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<63-1 {
		t.Errorf("off: runtime limit %d", got)
	}
}

// TestMemoryLimitFlag: -memory.limit is registered with its default and a
// bad value is one of the problems Validate reports.
func TestMemoryLimitFlag(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		wantErr     bool
	}{
		{"default", "", false},
		{"size", "900MiB", false},
		{"off", "off", false},
		{"not a size", "lots", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			fs := flag.NewFlagSet("xtsync", flag.ContinueOnError)
			c.RegisterFlags(fs)
			if tc.value != "" {
				if err := fs.Set("memory.limit", tc.value); err != nil {
					t.Fatal(err)
				}
			} else if c.MemoryLimit != MemoryLimitAuto {
				t.Fatalf("default %q, want %q", c.MemoryLimit, MemoryLimitAuto)
			}
			err := c.Validate()
			if got := err != nil && strings.Contains(err.Error(), "memory.limit"); got != tc.wantErr {
				t.Errorf("Validate() = %v, want a memory.limit problem: %v", err, tc.wantErr)
			}
		})
	}
}
