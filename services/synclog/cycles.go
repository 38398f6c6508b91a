package synclog

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// handleCycle records cycle events from xtsync.cycles.<cfg>.<verb>: a
// start (scheduler) opens the counters, an end (reader) sets the expected
// total and may complete the cycle; a stop logs the entries that waited
// for the cycle's references round (flushParts).
func (s *Service) handleCycle(ctx context.Context, m *natsx.Msg) error {
	verb := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
	switch verb {
	case natsx.CycleVerbStart:
		var st eventsv1.CycleStart
		if err := m.Unmarshal(&st); err != nil {
			return err
		}
		cfg, cycle := st.GetConfigurationId(), st.GetCycleId()
		if err := checkIDs(cfg, cycle); err != nil {
			return natsx.Permanent(fmt.Errorf("synclog: cycle start: %w", err))
		}
		at := m.Timestamp()
		if st.GetRequestedAt() != nil {
			at = st.GetRequestedAt().AsTime()
		}
		traceID := ""
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			traceID = sc.TraceID().String()
		}
		return s.c.started(ctx, cfg, cycle, modeName(st.GetMode()), traceID, at)
	case natsx.CycleVerbEnd:
		var end eventsv1.CycleEnd
		if err := m.Unmarshal(&end); err != nil {
			return err
		}
		cfg, cycle := end.GetConfigurationId(), end.GetCycleId()
		if err := checkIDs(cfg, cycle); err != nil {
			return natsx.Permanent(fmt.Errorf("synclog: cycle end: %w", err))
		}
		at := m.Timestamp()
		if end.GetFinishedAt() != nil {
			at = end.GetFinishedAt().AsTime()
		}
		if err := s.c.ended(ctx, cfg, cycle, end.GetChangesPublished(), at, s.d.Now()); err != nil {
			return err
		}
		return s.decide(ctx, cfg, cycle)
	case natsx.CycleVerbStop:
		var st eventsv1.CycleStop
		if err := m.Unmarshal(&st); err != nil {
			return err
		}
		cfg, cycle := st.GetConfigurationId(), st.GetCycleId()
		if checkIDs(cfg, cycle) != nil {
			return nil // a stop of no cycle in particular: nothing waits
		}
		return s.flushParts(ctx, cfg, cycle)
	}
	return nil
}

// modeName is the CycleSummary.mode spelling: "delta", "full", "on_demand".
func modeName(m eventsv1.CycleMode) string {
	if m == eventsv1.CycleMode_CYCLE_MODE_UNSPECIFIED {
		m = eventsv1.CycleMode_CYCLE_MODE_DELTA
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "CYCLE_MODE_"))
}
