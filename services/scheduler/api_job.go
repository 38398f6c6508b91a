package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/synclog"
)

type jobState = schedulerv1.JobState

const (
	stNotConfigured = schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED
	stNotRun        = schedulerv1.JobState_JOB_STATE_NOT_RUN
	stActive        = schedulerv1.JobState_JOB_STATE_ACTIVE
	stPaused        = schedulerv1.JobState_JOB_STATE_PAUSED
	stQuarantine    = schedulerv1.JobState_JOB_STATE_QUARANTINE
)

// GetJob returns the job: state, schedule, cycles, quarantine and escrow
// count. Caller: portals, xtsyncctl job status/watch.
func (s *Scheduler) GetJob(ctx context.Context, req *schedulerv1.GetJobRequest) (*schedulerv1.GetJobResponse, error) {
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	job, err := s.jobView(ctx, c.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &schedulerv1.GetJobResponse{Job: job}, nil
}

// jobView assembles the Job message. An Active job with a quarantine in
// the store is reported as Quarantine: the log service enters quarantine,
// the state machine only reads it.
func (s *Scheduler) jobView(ctx context.Context, id string) (*schedulerv1.Job, error) {
	rec, err := s.jobs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	j := &schedulerv1.Job{
		ConfigurationId: id, State: rec.State, Reason: rec.Reason,
		ScheduleInterval: durationpb.New(rec.Interval),
	}
	if rec.State == stActive && !rec.Next.IsZero() {
		j.NextRunTime = timestamppb.New(rec.Next)
	}
	if rec.Cycle != "" {
		if j.CurrentCycle, err = s.cycleSummary(ctx, id, rec.Cycle, rec.Mode, rec.Started, time.Time{}, 0); err != nil {
			return nil, err
		}
	}
	if rec.Last != "" {
		// Counters gone (CycleTTL) means the cycle is long over.
		if j.LastCycle, err = s.cycleSummary(ctx, id, rec.Last, rec.LastMode, rec.LastStarted, rec.LastEnd, 100); err != nil {
			return nil, err
		}
	}
	q, err := s.deps.Quarantines.Get(ctx, id)
	switch {
	case err == nil:
		j.Quarantine = &schedulerv1.Quarantine{Reason: q.Reason, Message: q.Message,
			SeriesStartTime: ts(q.SeriesBegan), NextAttemptTime: ts(q.NextAttempt)}
		if rec.State == stActive {
			j.State, j.Reason = stQuarantine, q.Reason
			j.NextRunTime = timestamppb.New(maxTime(rec.Next, q.NextAttempt))
		}
	case !errors.Is(err, redisx.ErrNotFound):
		return nil, err
	}
	esc, err := s.deps.Escrows.List(ctx, id)
	if err != nil {
		return nil, err
	}
	j.EscrowedObjects = int64(len(esc))
	return j, nil
}

// cycleSummary fills a cycle's summary from the log service's counters.
// The reader's end is not the cycle's end: writes and their log entries
// follow, so with counters end_time is the log's completion (unset until
// then). Without counters (expired) the job record and percent stand.
func (s *Scheduler) cycleSummary(ctx context.Context, cfg, cycle, mode string, started, ended time.Time, percent float64) (*schedulerv1.CycleSummary, error) {
	sum := &schedulerv1.CycleSummary{CycleId: cycle, Mode: mode, StartTime: ts(started), EndTime: ts(ended), PercentComplete: percent}
	p, err := synclog.NewProgressReader(s.deps.Redis).Cycle(ctx, cfg, cycle)
	switch {
	case errors.Is(err, synclog.ErrCycleNotFound):
		return sum, nil
	case err != nil:
		return nil, fmt.Errorf("progress of cycle %s: %w", cycle, err)
	}
	sum.ByAction, sum.ByStatus, sum.TraceId = p.ByAction, p.ByStatus, p.TraceID
	sum.PercentComplete = p.PercentComplete()
	if sum.StartTime == nil {
		sum.StartTime = ts(p.Started)
	}
	sum.EndTime = ts(p.Completed)
	return sum, nil
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// StartJob makes a NotRun or Paused job Active and runs a cycle now.
// Caller: portals, xtsyncctl job start.
func (s *Scheduler) StartJob(ctx context.Context, req *schedulerv1.StartJobRequest) (*schedulerv1.StartJobResponse, error) {
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	id, now := c.GetId(), s.now()
	cycleID := newID(now)
	_, err = s.jobs.apply(ctx, id, now, transition{
		from: []jobState{stNotRun, stPaused}, to: stActive, reason: ptr(""),
		cycle: cycleID, mode: modeDelta, endCycle: "1",
	})
	if errors.Is(err, ErrState) {
		err = status.Error(codes.FailedPrecondition, "only a NotRun or Paused job can be started (NotConfigured needs rules; Active already runs)")
	}
	if err == nil {
		err = s.startOrRewind(ctx, id, cycleID, modeDelta)
	}
	return jobResult(ctx, s, "StartJob", id, req, err, func(j *schedulerv1.Job) *schedulerv1.StartJobResponse {
		return &schedulerv1.StartJobResponse{Job: j}
	})
}

// startOrRewind publishes the start of a claimed cycle; on failure it
// hands the claim back and makes the job due, so the leader retries.
func (s *Scheduler) startOrRewind(ctx context.Context, id, cycleID, mode string) error {
	if err := s.startCycle(ctx, id, cycleID, mode, nil); err != nil {
		_, _ = s.jobs.apply(context.WithoutCancel(ctx), id, s.now(), transition{endCycle: cycleID})
		s.rewind(ctx, id)
		return fmt.Errorf("start cycle %s (the scheduler will retry): %w", cycleID, err)
	}
	return nil
}

// PauseJob stops scheduling and abandons the running cycle (CycleStop).
// Caller: portals, xtsyncctl job pause.
func (s *Scheduler) PauseJob(ctx context.Context, req *schedulerv1.PauseJobRequest) (*schedulerv1.PauseJobResponse, error) {
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	id := c.GetId()
	old, err := s.jobs.apply(ctx, id, s.now(), transition{
		from: []jobState{stActive, stQuarantine}, to: stPaused, reason: ptr(ReasonJobPaused), endCycle: "1",
	})
	if errors.Is(err, ErrState) {
		err = status.Error(codes.FailedPrecondition, "only an Active job can be paused")
	}
	if err == nil {
		err = s.stopCycle(ctx, id, old.Cycle, ReasonJobPaused)
	}
	return jobResult(ctx, s, "PauseJob", id, req, err, func(j *schedulerv1.Job) *schedulerv1.PauseJobResponse {
		return &schedulerv1.PauseJobResponse{Job: j}
	})
}

// jobResult audits, maps the error and builds the response with the job
// as it is now.
func jobResult[R any](ctx context.Context, s *Scheduler, action, id string, req proto.Message, err error, wrap func(*schedulerv1.Job) R) (R, error) {
	var zero R
	err = s.toStatus(ctx, err)
	s.audit(ctx, action, id, req, err)
	if err != nil {
		return zero, err
	}
	j, err := s.jobView(ctx, id)
	if err != nil {
		return zero, s.toStatus(ctx, err)
	}
	return wrap(j), nil
}
