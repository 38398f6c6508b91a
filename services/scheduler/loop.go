package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// lead competes for the leader lease and, while it holds it, ticks. Only
// the leader schedules; a lost lease ends its context and with it the
// scheduling at once (the tick in progress stops before its next claim).
func (s *Scheduler) lead(ctx context.Context) error {
	retry := s.cfg.LeaderTTL / 3
	for {
		lease, err := s.deps.Leases.AcquireLeader(ctx, LeaderName, s.cfg.LeaderTTL)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "scheduler leader", "fence", lease.Fence())
			s.setLeading(true)
			s.ticks(lease.Context(), lease.Fence())
			s.setLeading(false)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = lease.Release(rctx)
			cancel()
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "scheduler leadership lost", "fence", lease.Fence(), "err", context.Cause(lease.Context()))
			}
		case errors.Is(err, redisx.ErrNotLeader):
		case ctx.Err() == nil:
			s.log.WarnContext(ctx, "leader lease not acquired", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

func (s *Scheduler) ticks(ctx context.Context, fence uint64) {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		if err := s.Tick(ctx, fence); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "scheduler tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick starts a cycle of every Active job that is due, has no live cycle
// and is not deferred by quarantine. fence is the leader lease's: a job
// claimed by a newer leader refuses this one.
func (s *Scheduler) Tick(ctx context.Context, fence uint64) error {
	ids, err := s.store.IDs(ctx, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return nil
		}
		if err := s.tickOne(ctx, id, fence); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) tickOne(ctx context.Context, id string, fence uint64) error {
	now := s.now()
	job, err := s.jobs.get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if job.State != schedulerv1.JobState_JOB_STATE_ACTIVE {
		return nil
	}
	if paused, err := s.pauseIfHeld(ctx, id, job, now); paused || err != nil {
		return err
	}
	live := job.Cycle != "" && job.Started.After(now.Add(-s.cfg.CycleTimeout))
	if live || job.Next.After(now) {
		return nil
	}
	q, err := s.deps.Quarantines.Get(ctx, id)
	switch {
	case err == nil && now.Sub(q.SeriesBegan) > s.cfg.DisableQuarantinedAfter:
		return s.disableExpired(ctx, id, now)
	case err == nil && q.NextAttempt.After(now):
		return nil // deferred by quarantine back-off
	case err != nil && !errors.Is(err, redisx.ErrNotFound):
		return err
	}
	cycleID := newID(now)
	_, err = s.jobs.apply(ctx, id, now, transition{
		from:  []schedulerv1.JobState{schedulerv1.JobState_JOB_STATE_ACTIVE},
		cycle: cycleID, mode: modeDelta, endCycle: "1", due: true,
		stale: now.Add(-s.cfg.CycleTimeout), fence: fence,
	})
	if errors.Is(err, ErrState) || errors.Is(err, ErrNotFound) {
		return nil // paused, claimed by another leader or deleted meanwhile
	}
	if err != nil {
		return err
	}
	if err := s.startCycle(ctx, id, cycleID, modeDelta, nil); err != nil {
		// Give the claim back so the next tick retries instead of waiting
		// for the cycle timeout.
		_, _ = s.jobs.apply(context.WithoutCancel(ctx), id, s.now(), transition{endCycle: cycleID, due: false})
		s.rewind(ctx, id)
		return err
	}
	return nil
}

// ReasonQuarantineExpired: quarantined past DisableQuarantinedAfter.
const ReasonQuarantineExpired = "QuarantineExpired"

// disableExpired pauses a job quarantined for DisableQuarantinedAfter
// (Entra disables a job quarantined for four weeks): an admin must fix the
// cause and restart it. The scheduler's clock decides, not the store's.
func (s *Scheduler) disableExpired(ctx context.Context, id string, now time.Time) error {
	_, err := s.jobs.apply(ctx, id, now, transition{
		from: []schedulerv1.JobState{schedulerv1.JobState_JOB_STATE_ACTIVE},
		to:   schedulerv1.JobState_JOB_STATE_PAUSED, reason: ptr(ReasonQuarantineExpired),
	})
	if errors.Is(err, ErrState) || errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("disable job %s after its quarantine expired: %w", id, err)
	}
	s.log.WarnContext(ctx, "job disabled: quarantined for longer than the policy allows", keyConfiguration, id)
	return nil
}

// rewind makes a job due now (its start could not be published).
func (s *Scheduler) rewind(ctx context.Context, id string) {
	_ = s.deps.Redis.HSet(context.WithoutCancel(ctx), jobKey(id), "next", 0).Err()
}

// heldKey is the transformer's list of deprovisions held back by the
// accidental-deletion threshold for one cycle (services/transformer
// guard.go): its existence is the signal to pause the job.
func heldKey(cfg, cycle string) string { return "xtsync:{" + cfg + "}:cycle:" + cycle + ":held" }

// pauseIfHeld pauses an Active job whose running or last cycle has held
// deletions (reason DeletionThresholdExceeded) and remembers that cycle, so
// RestartJob with force_deletes approves exactly it. The running cycle is
// not stopped: everything but the held deletions still applies.
func (s *Scheduler) pauseIfHeld(ctx context.Context, id string, job jobRecord, now time.Time) (bool, error) {
	for _, cycle := range []string{job.Cycle, job.Last} {
		if cycle == "" || cycle == job.Approved {
			continue
		}
		n, err := s.deps.Redis.Exists(ctx, heldKey(id, cycle)).Result()
		if err != nil {
			return false, fmt.Errorf("check held deletions of %s: %w", cycle, err)
		}
		if n == 0 {
			continue
		}
		_, err = s.jobs.apply(ctx, id, now, transition{
			from: []schedulerv1.JobState{schedulerv1.JobState_JOB_STATE_ACTIVE},
			to:   schedulerv1.JobState_JOB_STATE_PAUSED, reason: ptr(ReasonDeletionThresholdExceeded), held: cycle,
		})
		if errors.Is(err, ErrState) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		s.log.WarnContext(ctx, "job paused: deletions held by the accidental-deletion threshold", keyConfiguration, id, keyCycle, cycle)
		return true, nil
	}
	return false, nil
}
