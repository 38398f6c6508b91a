package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/services/synclog"
)

// demoAPI is the demo's side of the gRPC API: what a portal or xtsyncctl
// does, with the demo admin token.
type demoAPI struct {
	sched schedulerv1.SchedulerServiceClient
	logs  synclogv1.SynclogServiceClient
}

func (dm *demo) api() demoAPI {
	return demoAPI{sched: schedulerv1.NewSchedulerServiceClient(dm.conn), logs: synclogv1.NewSynclogServiceClient(dm.conn)}
}

// failures lists the cycle's failed provisioning log entries as
// "action type id: code: message", through the log service's API.
func (api demoAPI) failures(ctx context.Context, cfgID, cycleID string) ([]string, error) {
	var out []string
	req := &synclogv1.ListProvisioningLogsRequest{PageSize: 1000, Filter: &synclogv1.LogFilter{
		ConfigurationId: cfgID, CycleId: cycleID, Status: eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE}}
	for {
		resp, err := api.logs.ListProvisioningLogs(ctx, req)
		if err != nil {
			return out, fmt.Errorf("ListProvisioningLogs: %w", err)
		}
		for _, e := range resp.GetEntries() {
			msg, _, _ := strings.Cut(e.GetError().GetMessage(), " (request-id") // differs per attempt
			out = append(out, fmt.Sprintf("%s %s %s: %s: %s", strings.TrimPrefix(e.GetAction().String(), "WRITE_ACTION_"),
				strings.ToLower(strings.TrimPrefix(e.GetSource().GetType().String(), "OBJECT_TYPE_")), e.GetSource().GetObjectId(),
				e.GetError().GetCode(), msg))
		}
		if resp.GetNextPageToken() == "" {
			return out, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func tenantRef(sim *graphsim.Server, t *graphsim.Tenant, env string) *commonv1.TenantRef {
	return &commonv1.TenantRef{
		TenantId: t.ID(), Domain: t.Domain(), ClientId: t.Info().ClientID,
		CredentialRef: "env:" + env, GraphUrl: sim.GraphURL(), AuthorityUrl: sim.AuthorityURL(),
	}
}

// demoDepartments are the departments the demo's user scoping filter
// lets through; the others (Finance, Legal, HR, Operations, the CEO's
// Executive) stay out of scope.
var demoDepartments = []string{"Customer Support", "Engineering", "IT", "Marketing", "Research", "Sales"}

// demoRules are the demo configuration's rules: group sync needs
// "sync only assigned users and groups", so the source's security groups
// are assigned; their direct members are synchronized when enabled and in
// one of demoDepartments; the groups themselves when they are security
// groups (mail-enabled and Microsoft 365 groups stay out). Entra's default
// mappings for both.
func demoRules(groups []string) (*structpb.Struct, error) {
	return structpb.NewStruct(map[string]any{
		"scope":       "AssignedOnly",
		"assignments": map[string]any{"groups": anySlice(groups)},
		"users": map[string]any{"scopingFilters": []any{map[string]any{
			"title": "enabled staff of the synchronized departments",
			"clauses": []any{
				map[string]any{"attribute": "accountEnabled", "operator": "IS TRUE"},
				map[string]any{"attribute": "department", "operator": "REGEX MATCH",
					"value": "^(" + strings.Join(demoDepartments, "|") + ")$"},
			},
		}}},
		"groups": map[string]any{"enabled": true, "scopingFilters": []any{map[string]any{
			"title": "security groups",
			"clauses": []any{
				map[string]any{"attribute": "securityEnabled", "operator": "IS TRUE"},
				map[string]any{"attribute": "mailEnabled", "operator": "IS FALSE"},
			},
		}}},
	})
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// demoAssignedGroups are the source groups the demo assigns: every
// security group (the scoping filter would drop the others anyway).
func demoAssignedGroups(source *graphsim.Tenant) []string {
	var ids []string
	for _, id := range source.GroupIDs() {
		if g, ok := source.Group(id); ok && g.SecurityEnabled && !g.MailEnabled {
			ids = append(ids, id)
		}
	}
	return ids
}

// configure tests the connection, then creates the configuration.
func (api demoAPI) configure(ctx context.Context, dm *demo, interval time.Duration) (string, error) {
	dm.assigned = demoAssignedGroups(dm.source)
	rules, err := demoRules(dm.assigned)
	if err != nil {
		return "", fmt.Errorf("demo rules: %w", err)
	}
	c := &schedulerv1.Configuration{
		DisplayName: dm.source.Domain() + " to " + dm.target.Domain(),
		Source:      tenantRef(dm.sim, dm.source, envSourceSecret),
		Target:      tenantRef(dm.sim, dm.target, envTargetSecret),
		Rules:       rules, ScheduleInterval: durationpb.New(interval),
	}
	tc, err := api.sched.TestConnection(ctx, &schedulerv1.TestConnectionRequest{Configuration: c})
	if err != nil {
		return "", fmt.Errorf("TestConnection: %w", err)
	}
	if !tc.GetOk() {
		var failed []string
		for _, ch := range tc.GetChecks() {
			if !ch.GetOk() {
				failed = append(failed, ch.GetName()+": "+ch.GetMessage())
			}
		}
		return "", fmt.Errorf("TestConnection failed: %s", strings.Join(failed, "; "))
	}
	resp, err := api.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: c})
	if err != nil {
		return "", fmt.Errorf("CreateConfiguration: %w", err)
	}
	return resp.GetConfiguration().GetId(), nil
}

// start starts the job and returns the id of the cycle it began.
func (api demoAPI) start(ctx context.Context, cfgID string) (string, error) {
	resp, err := api.sched.StartJob(ctx, &schedulerv1.StartJobRequest{ConfigurationId: cfgID})
	if err != nil {
		return "", fmt.Errorf("StartJob: %w", err)
	}
	id := resp.GetJob().GetCurrentCycle().GetCycleId()
	if id == "" {
		return "", errors.New("StartJob: the job reports no running cycle")
	}
	return id, nil
}

// startNow runs a cycle now although the schedule is far away: pause the
// idle job, then start it (StartJob of an Active job is a no-op).
func (api demoAPI) startNow(ctx context.Context, cfgID string) (string, error) {
	if _, err := api.sched.PauseJob(ctx, &schedulerv1.PauseJobRequest{ConfigurationId: cfgID}); err != nil {
		return "", fmt.Errorf("PauseJob: %w", err)
	}
	return api.start(ctx, cfgID)
}

// cycleProgress is a cycle's counters as the log service keeps them.
type cycleProgress = synclog.Progress

// progressView shows a cycle's progress while it runs.
type progressView interface {
	update(p cycleProgress)
	finish(p cycleProgress)
}

// newProgressView draws a progress bar on a terminal and plain lines
// otherwise (logs, CI, pipes). estimate is the expected object count
// before the reader knows it (-1: unknown, a spinner).
func newProgressView(out io.Writer, title string, estimate int64) progressView {
	if out == nil || out == io.Discard {
		return nil
	}
	if f, ok := out.(*os.File); ok && isTerminal(f) {
		bar := progressbar.NewOptions64(estimate,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription(title),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
		return &barView{bar: bar, out: out, title: title}
	}
	return &lineView{out: out, title: title}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type barView struct {
	bar   *progressbar.ProgressBar
	out   io.Writer
	title string
}

func (v *barView) update(p cycleProgress) {
	if p.Expected >= 0 && v.bar.GetMax64() != p.Expected {
		v.bar.ChangeMax64(max(p.Expected, p.Logged))
	}
	_ = v.bar.Set64(p.Logged)
	v.bar.Describe(v.title + "  " + formatCounts(p.ByAction))
}

func (v *barView) finish(p cycleProgress) {
	v.update(p)
	_ = v.bar.Finish()
	fmt.Fprintln(v.out)
}

// lineView prints a line when the counts changed, at most once a second.
type lineView struct {
	out   io.Writer
	title string
	last  string
	at    time.Time
}

func (v *lineView) line(p cycleProgress) string {
	return fmt.Sprintf("%s: %5.1f%%  logged %d/%s  %s  %s", v.title, p.PercentComplete(),
		p.Logged, expected(p.Expected), formatCounts(p.ByAction), formatCounts(p.ByStatus))
}

func (v *lineView) update(p cycleProgress) {
	if l := v.line(p); l != v.last && time.Since(v.at) >= time.Second {
		fmt.Fprintln(v.out, l)
		v.last, v.at = l, time.Now()
	}
}

func (v *lineView) finish(p cycleProgress) {
	if l := v.line(p); l != v.last {
		fmt.Fprintln(v.out, l)
	}
}

// waitCycle reads the cycle's progress every poll until the log service
// has logged every change the reader published; view (may be nil) shows
// it meanwhile.
func (dm *demo) waitCycle(ctx context.Context, cfgID, cycleID string, poll time.Duration, view progressView) (cycleProgress, error) {
	pr := synclog.NewProgressReader(dm.app.Redis())
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		p, err := pr.Cycle(ctx, cfgID, cycleID)
		switch {
		case errors.Is(err, synclog.ErrCycleNotFound):
		case err != nil:
			return p, fmt.Errorf("progress of cycle %s: %w", cycleID, err)
		case !p.Completed.IsZero():
			if view != nil {
				view.finish(p)
			}
			return p, nil
		case view != nil:
			view.update(p)
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case err := <-dm.runErr:
			dm.runErr <- err
			return p, fmt.Errorf("xtsync stopped during the cycle: %w", errOrStopped(err))
		case <-t.C:
		}
	}
}

func expected(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

func formatCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
