package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/synclog"
)

// demoAPI is the demo's side of the gRPC API: what a portal or xtsyncctl
// does, with the demo admin token.
type demoAPI struct {
	sched schedulerv1.SchedulerServiceClient
}

func (dm *demo) api() demoAPI {
	return demoAPI{sched: schedulerv1.NewSchedulerServiceClient(dm.conn)}
}

func tenantRef(sim *graphsim.Server, t *graphsim.Tenant, env string) *commonv1.TenantRef {
	return &commonv1.TenantRef{
		TenantId: t.ID(), Domain: t.Domain(), ClientId: t.Info().ClientID,
		CredentialRef: "env:" + env, GraphUrl: sim.GraphURL(), AuthorityUrl: sim.AuthorityURL(),
	}
}

// demoRules: every enabled user of the source, Entra's default mappings.
func demoRules() (*structpb.Struct, error) {
	return structpb.NewStruct(map[string]any{
		"scope": "AllUsers",
		"users": map[string]any{"scopingFilters": []any{map[string]any{
			"title":   "enabled users",
			"clauses": []any{map[string]any{"attribute": "accountEnabled", "operator": "IS TRUE"}},
		}}},
	})
}

// configure tests the connection, then creates the configuration.
func (api demoAPI) configure(ctx context.Context, dm *demo, interval time.Duration) (string, error) {
	rules, err := demoRules()
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

// cycleProgress is a cycle's counters as the log service keeps them.
type cycleProgress = synclog.Progress

// waitCycle prints the cycle's progress every poll until the log service
// has logged every change the reader published.
func (dm *demo) waitCycle(ctx context.Context, cfgID, cycleID string, poll time.Duration, out io.Writer) (cycleProgress, error) {
	pr := synclog.NewProgressReader(dm.app.Redis())
	t := time.NewTicker(poll)
	defer t.Stop()
	last := ""
	for {
		p, err := pr.Cycle(ctx, cfgID, cycleID)
		switch {
		case errors.Is(err, synclog.ErrCycleNotFound):
		case err != nil:
			return p, fmt.Errorf("progress of cycle %s: %w", cycleID, err)
		default:
			line := fmt.Sprintf("cycle %s: %5.1f%%  logged %d/%s  %s  %s", cycleID, p.PercentComplete(),
				p.Logged, expected(p.Expected), formatCounts(p.ByAction), formatCounts(p.ByStatus))
			if out != nil && line != last {
				fmt.Fprintln(out, line)
				last = line
			}
			if !p.Completed.IsZero() {
				return p, nil
			}
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
