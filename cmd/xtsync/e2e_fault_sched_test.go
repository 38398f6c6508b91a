package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/services/synclog"
)

// cycleEvent is one message on xtsync.cycles.<cfg>.<verb>, in the order
// the nats-server delivered them.
type cycleEvent struct{ verb, cycle string }

// cycleWatch records every cycle start, stop and end of a configuration
// on a plain subscription (it sees each publish, whoever made it).
type cycleWatch struct {
	mu     sync.Mutex
	events []cycleEvent
	starts chan string
}

func watchCycles(t *testing.T, url, cfgID string) *cycleWatch {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	w := &cycleWatch{starts: make(chan string, 1024)}
	_, err = nc.Subscribe("xtsync.cycles."+cfgID+".>", func(m *nats.Msg) {
		verb := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		var id string
		switch verb {
		case "start":
			var e eventsv1.CycleStart
			if proto.Unmarshal(m.Data, &e) == nil {
				id = e.GetCycleId()
			}
		case "stop":
			var e eventsv1.CycleStop
			if proto.Unmarshal(m.Data, &e) == nil {
				id = e.GetCycleId()
			}
		case "end":
			var e eventsv1.CycleEnd
			if proto.Unmarshal(m.Data, &e) == nil {
				id = e.GetCycleId()
			}
		}
		w.mu.Lock()
		w.events = append(w.events, cycleEvent{verb, id})
		w.mu.Unlock()
		if verb == "start" {
			w.starts <- id
		}
	})
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	return w
}

// overlaps lists every start of a cycle while another started cycle had
// neither ended nor been stopped: two cycles of one configuration at once.
func (w *cycleWatch) overlaps() (starts int, bad []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	open := map[string]bool{}
	started := map[string]bool{}
	for _, e := range w.events {
		switch e.verb {
		case "start":
			if started[e.cycle] {
				continue // a republished start of the same cycle (deduplicated by JetStream)
			}
			started[e.cycle] = true
			starts++
			for other := range open {
				bad = append(bad, e.cycle+" started while "+other+" ran")
			}
			open[e.cycle] = true
		case "end", "stop":
			delete(open, e.cycle)
		}
	}
	return starts, bad
}

// TestE2EFaultTwoSchedulers runs two scheduler processes (one leader by
// lease) and drives cycles three ways — the schedule made due again and
// again while a cycle runs, a StartJob sent to both processes at the same
// moment, and a kill -9 of either scheduler mid-cycle — while a plain
// subscription records every cycle start, stop and end: no cycle of the
// configuration starts between another's start and its end or stop.
// (The scheduler's lock covers the read and the transform: CycleEnd
// waits for the transformers' backlog, so the writes of one cycle may
// overlap the read of the next, by design.)
func TestE2EFaultTwoSchedulers(t *testing.T) {
	size := faultSizeOf(t)
	rng := faultRand(t)
	c := newCluster(t, clusterSpec{Users: size.Users, Groups: 4, TargetUsers: 10,
		SourceLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Latency: 30 * time.Millisecond},
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		Flags:        append([]string{"-writer.writes-per-minute=3000", "-reader.page-size=20", "-scheduler.leader-ttl=3s"}, fastRedelivery...)})
	sc := mirror.Scope{AllUsers: true}
	m := mirror.New(c.target, sc)
	c.startFive()
	c.startService("scheduler2", "scheduler")
	cc2, err := grpcx.Dial(grpcx.ClientConfig{Target: c.addrs["scheduler2"], Token: c.token})
	require.NoError(t, err)
	defer cc2.Close()
	apis := []schedulerv1.SchedulerServiceClient{c.sched, schedulerv1.NewSchedulerServiceClient(cc2)}
	schedulers := []string{"scheduler", "scheduler2"}

	ctx, cancel := context.WithTimeout(context.Background(), size.Timeout)
	defer cancel()
	cfgID := c.createConfig(ctx, sc.Rules())
	w := watchCycles(t, c.nats.ClientURL(), cfgID)
	jobKey := "xtsync:{" + cfgID + "}:job"
	due := func() { require.NoError(t, c.rdb.HSet(ctx, jobKey, "next", 0).Err()) }

	// The first cycle: StartJob through both processes at once; exactly
	// one wins.
	startBoth := func() {
		var wg sync.WaitGroup
		errs := make([]error, len(apis))
		for i, api := range apis {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = api.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cfgID})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				require.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
			}
		}
		require.Equal(t, 1, won, "StartJob sent to both schedulers: %v", errs)
	}
	nextStart := func() string {
		select {
		case id := <-w.starts:
			return id
		case <-ctx.Done():
			t.Fatalf("no cycle started: %v", ctx.Err())
			return ""
		}
	}

	// idle makes the schedule not due and waits until no cycle runs: the
	// cycles the schedule started back to back (after each CycleEnd, while
	// the writers still worked) are waited for, so that the next start
	// is the one the loop asks for.
	idle := func() {
		require.NoError(t, c.rdb.HSet(ctx, jobKey, "next", time.Now().Add(time.Hour).UnixMilli()).Err())
		for {
			c.waitJob(ctx, cfgID, func(j *schedulerv1.Job) bool { return j.GetCurrentCycle().GetCycleId() == "" })
			select {
			case id := <-w.starts:
				c.waitCycle(ctx, cfgID, id)
				continue
			default:
			}
			return
		}
	}
	cycles := 6
	if size.Long {
		cycles = 20
	}
	fig := faultFigures{Class: "two schedulers (StartJob races, due schedule, leader kill -9)"}
	kills := 0
	var last string
	var lastP synclog.Progress
	for i := 0; i < cycles; i++ {
		if i > 0 {
			randomChanges(t, rng, c.source, size.Changes/4)
		}
		idle()
		how := rng.IntN(3)
		if i == 0 {
			how = 1
		}
		switch how {
		case 1:
			if i > 0 {
				_, err := apis[rng.IntN(2)].PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID})
				require.NoError(t, err)
			}
			startBoth()
		default:
			due()
		}
		cycle := nextStart()
		killed := how != 2
		var killAt time.Time
		p := c.waitCycle(ctx, cfgID, cycle, func(p synclog.Progress) {
			// Due again and again while the cycle runs: the leader must
			// wait for the cycle's end.
			due()
			if !killed && time.Since(p.Started) > 300*time.Millisecond {
				killed = true
				victim := schedulers[rng.IntN(2)]
				t.Logf("cycle %d: kill -9 %s", i, victim)
				killAt = time.Now()
				c.kill(victim)
				c.startService(victim, "scheduler")
				kills++
			}
		})
		if !killAt.IsZero() {
			fig.Recovered = max(fig.Recovered, time.Since(killAt))
		}
		require.Zero(t, p.Failed, "%v", p.ByStatus)
		fig.Objects += p.Expected
		last, lastP = cycle, p
		idle()
	}
	lost, dup := c.checkCycle(ctx, m, cfgID, last, lastP)
	fig.Lost, fig.Dup = lost, dup
	starts, bad := w.overlaps()
	require.Empty(t, bad, "cycles overlapped")
	require.GreaterOrEqual(t, starts, cycles, "every cycle asked for started")
	t.Logf("%d cycles, %d scheduler kills, %d cycle events observed", starts, kills, len(w.events))
	fig.log(t)
}
