package synclog

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/xtsync/xtsync/pkg/redisx"
)

// modeOnDemand is Progress.Mode of a ProvisionOnDemand cycle.
const modeOnDemand = "on_demand"

// Verdicts besides a quarantine reason.
const (
	verdictHealthy      = "healthy"
	verdictInconclusive = "inconclusive"
)

// releasable are the quarantines a healthy cycle ends; TooManyDeletes waits
// for the admin's restart with force-deletes.
var releasable = map[string]bool{ReasonEscrowProportion: true, ReasonAuthFailures: true}

// decide enters or releases the configuration's quarantine from the
// cycle's counters. Each decision is claimed in the cycle hash first
// (HSETNX), so concurrent batches and redeliveries take it once:
// QuarantineStore.Enter is not idempotent (a repeat doubles the back-off).
// A crash between claim and Enter loses that cycle's decision; the next
// cycle decides again.
func (s *Service) decide(ctx context.Context, cfg, cycle string) error {
	m, err := s.c.snapshot(ctx, cfg, cycle)
	if err != nil {
		return err
	}
	p := progressOf(cfg, cycle, m)
	if s.cfg.Quarantine.HeldDeletes && p.Held > 0 && m[fHeldSignal] == "" {
		msg := fmt.Sprintf("%d deprovisions of cycle %s exceed the accidental-deletion threshold and are held; restart the job with force-deletes to apply them", p.Held, cycle)
		if err := s.enter(ctx, cfg, cycle, fHeldSignal, ReasonTooManyDeletes, msg); err != nil {
			return err
		}
	}
	if m[fVerdict] != "" {
		return nil
	}
	if reason, msg := s.unhealthy(p, num(m, fAuthFailed)); reason != "" {
		return s.enter(ctx, cfg, cycle, fVerdict, reason, msg)
	}
	if p.Completed.IsZero() {
		return nil
	}
	return s.complete(ctx, p)
}

// unhealthy returns the quarantine reason the counters call for, if any.
func (s *Service) unhealthy(p Progress, authFailed int64) (reason, msg string) {
	q := s.cfg.Quarantine
	writes := p.Succeeded + p.Failed
	switch {
	case authFailed > 0 && p.Succeeded == 0 &&
		(authFailed >= q.AuthMinFailures || !p.Completed.IsZero() && p.Mode != modeOnDemand):
		// Entra quarantines when all calls fail on credentials; a small
		// cycle is judged once complete (but an admin's one-object
		// on-demand test), a large one as soon as it is clear.
		return ReasonAuthFailures, fmt.Sprintf("%d writes of cycle %s failed with authentication or authorization errors and none succeeded: check the target application's credentials, admin consent and the cross-tenant access policy",
			authFailed, p.CycleID)
	case writes >= q.MinObjects && float64(p.Failed) > q.FailureRatio*float64(writes):
		return ReasonEscrowProportion, fmt.Sprintf("%d of %d writes of cycle %s failed (over %.0f%%); see the provisioning logs for their errors",
			p.Failed, writes, p.CycleID, 100*q.FailureRatio)
	}
	return "", ""
}

// enter claims field of the cycle and enters quarantine with reason.
func (s *Service) enter(ctx context.Context, cfg, cycle, field, reason, msg string) error {
	ok, err := s.c.claim(ctx, cfg, cycle, field, reason)
	if err != nil || !ok {
		return err
	}
	q, err := s.d.Quarantines.Enter(ctx, cfg, reason, msg, s.d.Now())
	if err != nil {
		return errors.Join(fmt.Errorf("synclog: enter quarantine %s: %w", reason, err), s.c.unclaim(ctx, cfg, cycle, field))
	}
	s.m.quarantine.Add(ctx, 1, metric.WithAttributes(attribute.String(keyReason, reason), attribute.String(keyEvent, eventEnter)))
	s.log.WarnContext(ctx, "synclog: job quarantined", keyConfigurationID, cfg, keyCycleID, cycle, keyReason, reason,
		"next_attempt", q.NextAttempt, "series_count", q.SeriesCount, "msg", msg)
	return nil
}

// complete takes the verdict of a completed cycle that stayed under the
// thresholds: with a successful write it proves the job healthy and ends a
// failure quarantine; without one (empty or all skipped) it proves nothing.
func (s *Service) complete(ctx context.Context, p Progress) error {
	cfg, cycle := p.ConfigurationID, p.CycleID
	verdict := verdictInconclusive
	if p.Succeeded > 0 {
		verdict = verdictHealthy
	}
	ok, err := s.c.claim(ctx, cfg, cycle, fVerdict, verdict)
	if err != nil || !ok {
		return err
	}
	if !p.Started.IsZero() && !p.Completed.IsZero() {
		s.m.cycle.Record(ctx, p.Completed.Sub(p.Started).Seconds(), metric.WithAttributes(attribute.String("verdict", verdict)))
	}
	if escrows, err := s.d.Escrows.List(ctx, cfg); err == nil {
		s.m.escrowed.Record(ctx, int64(len(escrows)), metric.WithAttributes(attribute.String(keyConfigurationID, cfg)))
	}
	s.log.InfoContext(ctx, "synclog: cycle complete", keyConfigurationID, cfg, keyCycleID, cycle,
		"logged", p.Logged, "expected", p.Expected, "failed", p.Failed, "verdict", verdict)
	if verdict != verdictHealthy {
		return nil
	}
	q, err := s.d.Quarantines.Get(ctx, cfg)
	switch {
	case errors.Is(err, redisx.ErrNotFound):
		return nil
	case err != nil:
		return errors.Join(fmt.Errorf("synclog: read quarantine: %w", err), s.c.unclaim(ctx, cfg, cycle, fVerdict))
	case !releasable[q.Reason]:
		return nil
	}
	if err := s.d.Quarantines.Release(ctx, cfg); err != nil {
		return errors.Join(fmt.Errorf("synclog: release quarantine: %w", err), s.c.unclaim(ctx, cfg, cycle, fVerdict))
	}
	s.m.quarantine.Add(ctx, 1, metric.WithAttributes(attribute.String(keyReason, q.Reason), attribute.String(keyEvent, eventRelease)))
	s.log.InfoContext(ctx, "synclog: quarantine released by a healthy cycle", keyConfigurationID, cfg, keyCycleID, cycle, keyReason, q.Reason)
	return nil
}
