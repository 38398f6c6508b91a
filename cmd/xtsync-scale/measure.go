package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on every
// Linux this runs on).
const clockTicks = 100

// procSample is what /proc says of one process.
type procSample struct {
	CPU     time.Duration // user + system
	PeakRSS int64         // VmHWM, bytes
}

// sampleProc reads /proc/<pid>/stat and /proc/<pid>/status ("self" for
// this process).
func sampleProc(pid string) (procSample, error) {
	var s procSample
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, err
	}
	str := string(b)
	i := strings.LastIndexByte(str, ')')
	if i < 0 {
		return s, fmt.Errorf("parse /proc/%s/stat", pid)
	}
	f := strings.Fields(str[i+1:])
	if len(f) < 13 {
		return s, fmt.Errorf("parse /proc/%s/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.CPU = time.Duration(ut+st) * time.Second / clockTicks
	s.PeakRSS, err = statusBytes(pid, "VmHWM:")
	return s, err
}

// currentRSS is a process's VmRSS.
func currentRSS(pid string) (int64, error) { return statusBytes(pid, "VmRSS:") }

// statusBytes reads one "<key> <n> kB" line of /proc/<pid>/status.
func statusBytes(pid, key string) (int64, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%s/status", key, pid)
}

// resetPeak resets a process's VmHWM to its current RSS (clear_refs 5),
// so that the peak of one cycle is measured apart from the previous one.
func resetPeak(pid string) {
	_ = os.WriteFile("/proc/"+pid+"/clear_refs", []byte("5"), 0)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// streamState is one stream's size.
type streamState struct {
	Bytes, Msgs uint64
	LastSeq     uint64
}

func streamStates(ctx context.Context, js jetstream.JetStream) (map[string]streamState, error) {
	out := map[string]streamState{}
	for _, name := range []string{natsx.StreamCycles, natsx.StreamChanges, natsx.StreamIntents, natsx.StreamOutcomes, natsx.StreamLogs} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		out[name] = streamState{Bytes: info.State.Bytes, Msgs: info.State.Msgs, LastSeq: info.State.LastSeq}
	}
	return out, nil
}

// redisUsedMemory is INFO memory's used_memory.
func (c *cluster) redisUsedMemory(ctx context.Context) (int64, error) {
	s, err := c.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no used_memory in INFO")
}
