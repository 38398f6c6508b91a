package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
)

// TestParseMemStats reads the MemStats trailer of this process's own
// debug=1 heap profile, and refuses text without one.
func TestParseMemStats(t *testing.T) {
	var b strings.Builder
	if err := pprof.Lookup("heap").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, tc := range []struct {
		name    string
		text    string
		wantErr bool
	}{
		{"own heap profile", b.String(), false},
		{"no trailer", "heap profile: 1: 2 [3: 4] @ heap/1048576\n", true},
		{"bad number", "# HeapAlloc = lots\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseMemStats(tc.text)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if s.Sys <= 0 || s.HeapInuse <= 0 || s.NextGC <= 0 || s.StackInuse <= 0 || s.HeapAlloc <= 0 {
				t.Errorf("missing figures: %+v", s)
			}
			if s.Sys > int64(ms.Sys)*2 || s.StackInuse > s.Sys {
				t.Errorf("implausible figures: %+v (MemStats.Sys %d)", s, ms.Sys)
			}
		})
	}
}

// TestDropOld keeps the last keepHeaps snapshots of each process and
// removes the older ones' profiles.
func TestDropOld(t *testing.T) {
	dir := t.TempDir()
	var snaps []MemSnapshot
	for i := range keepHeaps + 2 {
		for _, p := range []string{"reader", "writer"} {
			path := filepath.Join(dir, p+string(rune('a'+i)))
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			snaps = dropOld(append(snaps, MemSnapshot{Proc: p, Profile: path}), p)
		}
	}
	var kept []string
	for _, s := range snaps {
		kept = append(kept, filepath.Base(s.Profile))
	}
	want := []string{"readerc", "writerc", "readerd", "writerd", "readere", "writere"}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != len(want) {
		t.Errorf("%d profiles left, want %d", len(files), len(want))
	}
}
