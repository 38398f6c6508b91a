package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

func newJobCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Show, start, pause, restart and watch a configuration's provisioning job"}
	cmd.AddCommand(
		jobAction(g, "get ID", "Show the job: state, schedule, current and last cycle, quarantine, escrow",
			func(ctx context.Context, cl *clients, id string) (*schedulerv1.Job, error) {
				resp, err := cl.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: id})
				return resp.GetJob(), rpcErrOrNil("GetJob", err)
			}),
		jobAction(g, "start ID", "Make a NotRun or Paused job Active and run a cycle now",
			func(ctx context.Context, cl *clients, id string) (*schedulerv1.Job, error) {
				resp, err := cl.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: id})
				return resp.GetJob(), rpcErrOrNil("StartJob", err)
			}),
		jobAction(g, "pause ID", "Stop scheduling and abandon the running cycle",
			func(ctx context.Context, cl *clients, id string) (*schedulerv1.Job, error) {
				resp, err := cl.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: id})
				return resp.GetJob(), rpcErrOrNil("PauseJob", err)
			}),
		newJobRestartCmd(g), newJobWatchCmd(g))
	return cmd
}

func rpcErrOrNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return rpcErr(op, err)
}

// jobAction is a command whose call takes the configuration id and
// answers with the job.
func jobAction(g *globalOpts, use, short string, call func(context.Context, *clients, string) (*schedulerv1.Job, error)) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				j, err := call(ctx, cl, args[0])
				if err != nil {
					return err
				}
				return g.emit(cmd.OutOrStdout(), &schedulerv1.GetJobResponse{Job: j}, func(tw *tabwriter.Writer) { jobTable(tw, j) })
			})
		},
	}
}

func newJobRestartCmd(g *globalOpts) *cobra.Command {
	req := &schedulerv1.RestartJobRequest{}
	cmd := jobAction(g, "restart ID", "Run a full cycle now, optionally resetting state or approving held deletions",
		func(ctx context.Context, cl *clients, id string) (*schedulerv1.Job, error) {
			req.ConfigurationId = id
			resp, err := cl.sched.RestartJob(ctx, req)
			return resp.GetJob(), rpcErrOrNil("RestartJob", err)
		})
	f := cmd.Flags()
	f.BoolVar(&req.ResetWatermark, "reset-watermark", false, "forget the delta watermark: the cycle reads everything")
	f.BoolVar(&req.ClearEscrows, "clear-escrows", false, "drop escrowed objects instead of retrying them")
	f.BoolVar(&req.ClearQuarantine, "clear-quarantine", false, "leave quarantine now")
	f.BoolVar(&req.ForceDeletes, "force-deletes", false, "approve the deletions held by the accidental-deletion threshold")
	return cmd
}

func jobTable(tw *tabwriter.Writer, j *schedulerv1.Job) {
	state := strings.TrimPrefix(j.GetState().String(), "JOB_STATE_")
	if j.GetReason() != "" {
		state += " (" + j.GetReason() + ")"
	}
	row(tw, "CONFIGURATION", j.GetConfigurationId())
	row(tw, "STATE", state)
	row(tw, "INTERVAL", j.GetScheduleInterval().AsDuration().String())
	if j.GetNextRunTime() != nil {
		row(tw, "NEXT RUN", fmtTime(j.GetNextRunTime().AsTime()))
	}
	if c := j.GetCurrentCycle(); c != nil {
		row(tw, "CURRENT CYCLE", cycleLine(c))
	}
	if c := j.GetLastCycle(); c != nil {
		row(tw, "LAST CYCLE", cycleLine(c))
	}
	if q := j.GetQuarantine(); q != nil {
		row(tw, "QUARANTINE", fmt.Sprintf("%s: %s (since %s, next attempt %s)", q.GetReason(), q.GetMessage(),
			fmtTime(q.GetSeriesStartTime().AsTime()), fmtTime(q.GetNextAttemptTime().AsTime())))
	}
	row(tw, "ESCROWED", fmt.Sprint(j.GetEscrowedObjects()))
}

// cycleLine is one cycle on one line: id, mode, percent, times, counts.
func cycleLine(c *schedulerv1.CycleSummary) string {
	s := fmt.Sprintf("%s %s %.1f%% started %s", c.GetCycleId(), c.GetMode(), c.GetPercentComplete(), fmtTime(c.GetStartTime().AsTime()))
	if c.GetEndTime() != nil {
		s += " ended " + fmtTime(c.GetEndTime().AsTime())
	}
	return s + " " + counts(c)
}

func counts(c *schedulerv1.CycleSummary) string {
	return formatCounts(c.GetByAction()) + " | " + formatCounts(c.GetByStatus())
}

func formatCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// Progress styles of job watch.
const (
	progressAuto  = "auto"
	progressBar   = "bar"
	progressLines = "lines"
)

func newJobWatchCmd(g *globalOpts) *cobra.Command {
	var interval time.Duration
	var style string
	cmd := &cobra.Command{
		Use:   "watch ID",
		Short: "Follow the running (or last) cycle until every change is logged",
		Long: "Polls GetJob and shows the cycle's percent complete with its counts by action and status:\n" +
			"a progress bar on a terminal, one line per poll otherwise (or one GetJobResponse per line with -o json).\n" +
			"Exits 0 when the cycle completes, non-zero if the job stops before.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return fmt.Errorf("--interval: %s: must be positive", interval)
			}
			if style != progressAuto && style != progressBar && style != progressLines {
				return fmt.Errorf("--progress: %q: want auto, bar or lines", style)
			}
			out := cmd.OutOrStdout()
			if style == progressAuto {
				style = progressLines
				if !g.json() && isTerminal(out) {
					style = progressBar
				}
			}
			return g.withClients(func(cl *clients) error {
				return g.watch(cmd.Context(), cl, args[0], interval, style, out)
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to poll")
	cmd.Flags().StringVar(&style, "progress", progressAuto, "auto (a bar on a terminal), bar or lines")
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// watch polls until the cycle running at the first poll (or, with none,
// the last one) is complete.
func (g *globalOpts) watch(ctx context.Context, cl *clients, id string, interval time.Duration, style string, out io.Writer) error {
	var bar *progressbar.ProgressBar
	cycle := ""
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cctx, cancel := g.call(ctx)
		resp, err := cl.sched.GetJob(cctx, &schedulerv1.GetJobRequest{ConfigurationId: id})
		cancel()
		if err != nil {
			return rpcErr("GetJob", err)
		}
		j := resp.GetJob()
		if cycle == "" {
			switch {
			case j.GetCurrentCycle() != nil:
				cycle = j.GetCurrentCycle().GetCycleId()
			case j.GetLastCycle() != nil:
				cycle = j.GetLastCycle().GetCycleId()
			default:
				return fmt.Errorf("job %s has run no cycle yet: start it (xtsyncctl job start %s)", id, id)
			}
		}
		sum, running := j.GetCurrentCycle(), true
		if sum.GetCycleId() != cycle {
			sum, running = j.GetLastCycle(), false
		}
		if sum.GetCycleId() != cycle {
			return fmt.Errorf("cycle %s is neither the current nor the last cycle of %s any more; see xtsyncctl logs list %s --cycle %s", cycle, id, id, cycle)
		}
		done := sum.GetPercentComplete() >= 100
		switch {
		case g.json():
			if err := printJSON(out, resp); err != nil {
				return err
			}
		case style == progressBar:
			if bar == nil {
				bar = progressbar.NewOptions(100, progressbar.OptionSetWriter(out), progressbar.OptionSetWidth(30),
					progressbar.OptionSetPredictTime(false), progressbar.OptionThrottle(0), progressbar.OptionSetRenderBlankState(true),
					progressbar.OptionShowDescriptionAtLineEnd())
			}
			bar.Describe(fmt.Sprintf("cycle %s %s", sum.GetCycleId(), counts(sum)))
			_ = bar.Set(int(sum.GetPercentComplete()))
		default:
			fmt.Fprintf(out, "%s cycle %s (%s): %5.1f%%  %s  [%s]\n", time.Now().UTC().Format(time.TimeOnly), sum.GetCycleId(), sum.GetMode(),
				sum.GetPercentComplete(), counts(sum), strings.TrimPrefix(j.GetState().String(), "JOB_STATE_"))
		}
		if done {
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintf(out, "\ncycle %s complete: %s\n", cycle, counts(sum))
			}
			return nil
		}
		// A paused or quarantined job does not finish an abandoned cycle.
		if st := j.GetState(); !running && st != schedulerv1.JobState_JOB_STATE_ACTIVE {
			if bar != nil {
				fmt.Fprintln(out)
			}
			return fmt.Errorf("cycle %s stopped at %.1f%%: job is %s %s", cycle, sum.GetPercentComplete(),
				strings.TrimPrefix(st.String(), "JOB_STATE_"), j.GetReason())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
