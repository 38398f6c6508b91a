package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// logFlags are the provisioning-log filters shared by list and tail.
type logFlags struct {
	cycle, object, action, status, code, since, until string
}

func (f *logFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.cycle, "cycle", "", "only this cycle")
	fl.StringVar(&f.object, "object", "", "only this source or target object id")
	fl.StringVar(&f.action, "action", "", "only this action: Create, Update, Disable, Delete, Restore, Skip, HardDelete, Fail")
	fl.StringVar(&f.status, "status", "", "only this status: success, failure, skipped, warning")
	fl.StringVar(&f.code, "code", "", "only this error or skip code, e.g. EntryConflict")
	fl.StringVar(&f.since, "since", "", "from this time: RFC 3339 or a duration back from now (1h)")
	fl.StringVar(&f.until, "until", "", "up to this time: RFC 3339 or a duration back from now")
}

func (f *logFlags) filter(cfg string, now time.Time) (*synclogv1.LogFilter, error) {
	lf := &synclogv1.LogFilter{ConfigurationId: cfg, CycleId: f.cycle, ObjectId: f.object, Code: f.code}
	var err error
	if f.action != "" {
		v, ok := eventsv1.WriteAction_value["WRITE_ACTION_"+enumWord(f.action)]
		if !ok || v == 0 {
			return nil, fmt.Errorf("--action: %q: want Create, Update, Disable, Delete, Restore, Skip, HardDelete or Fail", f.action)
		}
		lf.Action = eventsv1.WriteAction(v)
	}
	if f.status != "" {
		v, ok := eventsv1.ProvisioningStatus_value["PROVISIONING_STATUS_"+enumWord(f.status)]
		if !ok || v == 0 {
			return nil, fmt.Errorf("--status: %q: want success, failure, skipped or warning", f.status)
		}
		lf.Status = eventsv1.ProvisioningStatus(v)
	}
	if lf.StartTime, err = parseWhen("--since", f.since, now); err != nil {
		return nil, err
	}
	if lf.EndTime, err = parseWhen("--until", f.until, now); err != nil {
		return nil, err
	}
	return lf, nil
}

// enumWord turns "HardDelete", "hard-delete" or "HARD_DELETE" into HARD_DELETE.
func enumWord(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '-' || r == '_' || r == ' ':
			b.WriteByte('_')
		case r >= 'A' && r <= 'Z' && i > 0 && s[i-1] >= 'a' && s[i-1] <= 'z':
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteString(strings.ToUpper(string(r)))
		}
	}
	return b.String()
}

// parseWhen reads RFC 3339 or a duration back from now.
func parseWhen(flag, v string, now time.Time) (*timestamppb.Timestamp, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return timestamppb.New(t), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("%s: %q: want RFC 3339 (2026-01-02T15:04:05Z) or a duration back from now (90m)", flag, v)
	}
	return timestamppb.New(now.Add(-d)), nil
}

func newLogsCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "logs", Short: "Query provisioning logs (SynclogService)"}
	cmd.AddCommand(newLogsListCmd(g), newLogsTailCmd(g))
	return cmd
}

func newLogsListCmd(g *globalOpts) *cobra.Command {
	var f logFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "list ID",
		Short: "List a configuration's provisioning log entries, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit <= 0 {
				return fmt.Errorf("--limit: %d: must be positive", limit)
			}
			lf, err := f.filter(args[0], time.Now())
			if err != nil {
				return err
			}
			return g.withClients(func(cl *clients) error {
				out := cmd.OutOrStdout()
				tw := newTab(out)
				if !g.json() {
					logHeader(tw)
				}
				token, n := "", 0
				for n < limit {
					ctx, cancel := g.call(cmd.Context())
					resp, err := cl.logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{
						Filter: lf, PageSize: int32(min(limit-n, 1000)), PageToken: token,
					})
					cancel()
					if err != nil {
						return rpcErr("ListProvisioningLogs", err)
					}
					// Pages are asked no larger than what the limit leaves.
					n += len(resp.GetEntries())
					if g.json() {
						if err := printJSON(out, resp); err != nil {
							return err
						}
					} else {
						for _, e := range resp.GetEntries() {
							logRow(tw, e)
						}
					}
					if token = resp.GetNextPageToken(); token == "" {
						break
					}
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many entries")
	return cmd
}

func newLogsTailCmd(g *globalOpts) *cobra.Command {
	var f logFlags
	cmd := &cobra.Command{
		Use:   "tail ID",
		Short: "Stream provisioning log entries as they are written (after those since --since) until Ctrl-C",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lf, err := f.filter(args[0], time.Now())
			if err != nil {
				return err
			}
			return g.withClients(func(cl *clients) error {
				// No --timeout: a tail runs until the user stops it.
				stream, err := cl.logs.TailProvisioningLogs(cmd.Context(), &synclogv1.TailProvisioningLogsRequest{Filter: lf})
				if err != nil {
					return rpcErr("TailProvisioningLogs", err)
				}
				return g.tail(cmd.Context(), stream.Recv, cmd.OutOrStdout())
			})
		},
	}
	f.register(cmd)
	return cmd
}

// tail prints each entry as it arrives: a table cannot align rows it has
// not seen, so each line is flushed alone with fixed columns.
func (g *globalOpts) tail(ctx context.Context, recv func() (*synclogv1.TailProvisioningLogsResponse, error), out io.Writer) error {
	for {
		m, err := recv()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case ctx.Err() != nil && (status.Code(err) == codes.Canceled || errors.Is(err, context.Canceled)):
			return nil // Ctrl-C
		default:
			return rpcErr("TailProvisioningLogs", err)
		}
		if g.json() {
			if err := printJSON(out, m); err != nil {
				return err
			}
			continue
		}
		tw := newTab(out)
		logRow(tw, m.GetEntry())
		if err := tw.Flush(); err != nil {
			return err
		}
	}
}

func logHeader(w io.Writer) {
	row(w, "TIME", "CYCLE", "TYPE", "SOURCE", "ACTION", "STATUS", "TARGET", "ERROR")
}

func logRow(w io.Writer, e *eventsv1.ProvisioningLogEntry) {
	row(w, fmtTime(e.GetTimestamp().AsTime()), e.GetCycleId(), objectType(e.GetSource().GetType()), e.GetSource().GetObjectId(),
		enumName(e.GetAction().String(), "WRITE_ACTION_"), enumName(e.GetStatus().String(), "PROVISIONING_STATUS_"),
		e.GetTargetObjectId(), errorText(e.GetError()))
}

// enumName turns WRITE_ACTION_HARD_DELETE into HardDelete, as the portal
// and the cycle counters name actions.
func enumName(v, prefix string) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.TrimPrefix(v, prefix), "_") {
		if w != "" {
			b.WriteString(w[:1] + strings.ToLower(w[1:]))
		}
	}
	if b.String() == "Unspecified" {
		return ""
	}
	return b.String()
}

func newAuditCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Query the audit log of configuration changes and admin actions"}
	var since, until string
	var limit int
	list := &cobra.Command{
		Use:   "list [ID]",
		Short: "List audit entries (who did what, when, with what result), newest first",
		Long: "Without ID, the entries of every configuration the token may see, merged newest first\n" +
			"(the API lists one configuration at a time; a deleted configuration's entries need its ID).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit <= 0 {
				return fmt.Errorf("--limit: %d: must be positive", limit)
			}
			now := time.Now()
			start, err := parseWhen("--since", since, now)
			if err != nil {
				return err
			}
			end, err := parseWhen("--until", until, now)
			if err != nil {
				return err
			}
			return g.withClients(func(cl *clients) error {
				ids := args
				if len(ids) == 0 {
					if ids, err = g.configIDs(cmd.Context(), cl); err != nil {
						return err
					}
				}
				var entries []*synclogv1.AuditEntry
				for _, id := range ids {
					es, err := g.audit(cmd.Context(), cl, &synclogv1.ListAuditLogsRequest{ConfigurationId: id, StartTime: start, EndTime: end}, limit)
					if err != nil {
						return err
					}
					entries = append(entries, es...)
				}
				slices.SortStableFunc(entries, func(a, b *synclogv1.AuditEntry) int {
					return b.GetTime().AsTime().Compare(a.GetTime().AsTime())
				})
				entries = entries[:min(len(entries), limit)]
				out := cmd.OutOrStdout()
				if g.json() {
					// One response, merged when it spans configurations.
					return printJSON(out, &synclogv1.ListAuditLogsResponse{Entries: entries})
				}
				tw := newTab(out)
				row(tw, "TIME", "ACTOR", "ACTION", "CONFIGURATION", "RESULT", "DETAILS")
				for _, e := range entries {
					row(tw, fmtTime(e.GetTime().AsTime()), e.GetActor(), e.GetAction(), e.GetConfigurationId(), e.GetResult(), e.GetDetailsJson())
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&since, "since", "", "from this time: RFC 3339 or a duration back from now (24h)")
	list.Flags().StringVar(&until, "until", "", "up to this time: RFC 3339 or a duration back from now")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many entries")
	cmd.AddCommand(list)
	return cmd
}

// audit reads up to limit entries of one configuration, page by page.
func (g *globalOpts) audit(ctx context.Context, cl *clients, req *synclogv1.ListAuditLogsRequest, limit int) ([]*synclogv1.AuditEntry, error) {
	var out []*synclogv1.AuditEntry
	for len(out) < limit {
		req.PageSize = int32(min(limit-len(out), 1000))
		cctx, cancel := g.call(ctx)
		resp, err := cl.logs.ListAuditLogs(cctx, req)
		cancel()
		if err != nil {
			return nil, rpcErr("ListAuditLogs", err)
		}
		out = append(out, resp.GetEntries()...)
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	return out[:min(len(out), limit)], nil
}

// configIDs lists every configuration the token may see.
func (g *globalOpts) configIDs(ctx context.Context, cl *clients) ([]string, error) {
	var ids []string
	token := ""
	for {
		cctx, cancel := g.call(ctx)
		resp, err := cl.sched.ListConfigurations(cctx, &schedulerv1.ListConfigurationsRequest{PageSize: 500, PageToken: token})
		cancel()
		if err != nil {
			return nil, rpcErr("ListConfigurations", err)
		}
		for _, c := range resp.GetConfigurations() {
			ids = append(ids, c.GetId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return ids, nil
		}
	}
}
