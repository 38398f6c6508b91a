package scheduler

import (
	"context"
	"strings"
	"time"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// LogQuerier is the log service's query API as ProvisionOnDemand uses it:
// *synclog.Service in one process, or a wrapper around its gRPC client.
type LogQuerier interface {
	ListProvisioningLogs(ctx context.Context, req *synclogv1.ListProvisioningLogsRequest) (*synclogv1.ListProvisioningLogsResponse, error)
}

// Default and bound of ProvisionOnDemandRequest.timeout.
const (
	defaultOnDemandWait = 60 * time.Second
	onDemandPoll        = 250 * time.Millisecond
)

// awaitOnDemand polls the provisioning log for the cycle until every object
// has an entry or the wait ends; it returns what arrived (possibly
// nothing: the cycle goes on, its entries land in the log later).
func (s *Scheduler) awaitOnDemand(ctx context.Context, cfgID, cycleID string, objs []*commonv1.ObjectRef, wait time.Duration) []*schedulerv1.OnDemandResult {
	if s.deps.Logs == nil || wait <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(onDemandPoll)
	defer t.Stop()
	var results map[string]*schedulerv1.OnDemandResult
	for {
		resp, err := s.deps.Logs.ListProvisioningLogs(ctx, &synclogv1.ListProvisioningLogsRequest{
			Filter: &synclogv1.LogFilter{ConfigurationId: cfgID, CycleId: cycleID}, PageSize: 100,
		})
		if err == nil {
			results = map[string]*schedulerv1.OnDemandResult{}
			for _, e := range resp.GetEntries() {
				// Newest first: keep the latest entry of each object.
				if _, seen := results[e.GetSource().GetObjectId()]; !seen {
					results[e.GetSource().GetObjectId()] = onDemandResult(e)
				}
			}
			if len(results) >= len(objs) {
				break
			}
		} else if ctx.Err() == nil {
			s.log.DebugContext(ctx, "on-demand results not readable yet", keyCycle, cycleID, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-t.C:
			continue
		}
		break
	}
	var out []*schedulerv1.OnDemandResult
	for _, o := range objs {
		if r, ok := results[o.GetObjectId()]; ok {
			out = append(out, r)
		}
	}
	return out
}

func onDemandResult(e *eventsv1.ProvisioningLogEntry) *schedulerv1.OnDemandResult {
	status := "success"
	switch e.GetStatus() {
	case eventsv1.ProvisioningStatus_PROVISIONING_STATUS_FAILURE:
		status = "failure"
	case eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED:
		status = "skipped"
	}
	return &schedulerv1.OnDemandResult{
		Object: e.GetSource(), Action: actionName(e.GetAction()), Status: status,
		Error: e.GetError(), TargetObjectId: e.GetTargetObjectId(), StepsJson: e.GetStepsJson(),
	}
}

// actionName turns WRITE_ACTION_HARD_DELETE into "HardDelete".
func actionName(a eventsv1.WriteAction) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.TrimPrefix(a.String(), "WRITE_ACTION_"), "_") {
		if w == "" {
			continue
		}
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}
