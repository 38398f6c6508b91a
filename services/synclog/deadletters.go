package synclog

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/rules"
)

// CodeDeliveryExhausted is the failure code of objects whose message
// exhausted its deliveries (the handler hung or crashed every time): the
// work was not done, the object goes to escrow, and the cycle can still
// complete instead of waiting forever for an outcome.
const CodeDeliveryExhausted = string(rules.DeliveryAttemptsExhausted)

// deadLetter is the natsx.DeadLetterHandler hook of synclog-deadletters:
// it turns a dead IntentBatch or SourceChangeBatch into failed outcomes,
// and logs a dead OutcomeBatch as it is. The hook cannot ask for a retry,
// so a failure here is only reported.
func (s *Service) deadLetter(ctx context.Context, d natsx.DeadLetter) {
	b, err := deadOutcomes(d, s.d.Now())
	if err == nil && b != nil {
		if err = checkIDs(b.GetConfigurationId(), b.GetCycleId()); err == nil {
			err = s.logBatch(ctx, b, deadBatchID(d))
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "synclog: dead letter not logged", "stream", d.Stream, "seq", d.StreamSeq, "msg_id", d.MsgID, "err", err)
		return
	}
	s.log.WarnContext(ctx, "synclog: dead letter logged", "stream", d.Stream, "seq", d.StreamSeq, "msg_id", d.MsgID,
		"reason", d.Reason, "objects", len(b.GetOutcomes()))
}

// deadBatchID names the outcomes of a dead letter: a dead OutcomeBatch
// keeps its own id (the ids it owns stay its own), the outcomes made up
// for a dead intent or change batch are named after that message.
func deadBatchID(d natsx.DeadLetter) string {
	if d.Stream == natsx.StreamOutcomes {
		return outcomeBatchID(d.MsgID, d.StreamSeq)
	}
	return fmt.Sprintf("dead/%s/%d", d.Stream, d.StreamSeq)
}

// deadOutcomes builds the outcomes of a dead message; nil for messages
// that carry no objects (cycle commands) or are gone.
func deadOutcomes(d natsx.DeadLetter, now time.Time) (*eventsv1.OutcomeBatch, error) {
	if d.Data == nil {
		return nil, nil
	}
	fail := &commonv1.ErrorDetail{Code: CodeDeliveryExhausted,
		Message: fmt.Sprintf("%s message %d was delivered %d times without being processed", d.Stream, d.StreamSeq, d.NumDelivered)}
	at := timestamppb.New(now)
	switch d.Stream {
	case natsx.StreamOutcomes:
		var b eventsv1.OutcomeBatch
		if err := proto.Unmarshal(d.Data, &b); err != nil {
			return nil, fmt.Errorf("decode dead outcome batch: %w", err)
		}
		return &b, nil
	case natsx.StreamIntents:
		var ib eventsv1.IntentBatch
		if err := proto.Unmarshal(d.Data, &ib); err != nil {
			return nil, fmt.Errorf("decode dead intent batch: %w", err)
		}
		b := &eventsv1.OutcomeBatch{ConfigurationId: ib.GetConfigurationId(), CycleId: ib.GetCycleId()}
		for _, in := range ib.GetIntents() {
			b.Outcomes = append(b.Outcomes, &eventsv1.WriteOutcome{IntentId: in.GetIntentId(), Source: in.GetSource(),
				TargetObjectId: in.GetTargetObjectId(), Action: in.GetAction(), Error: fail, Attempts: int32(d.NumDelivered), FinishedAt: at})
		}
		return b, nil
	case natsx.StreamChanges:
		var cb eventsv1.SourceChangeBatch
		if err := proto.Unmarshal(d.Data, &cb); err != nil {
			return nil, fmt.Errorf("decode dead change batch: %w", err)
		}
		b := &eventsv1.OutcomeBatch{ConfigurationId: cb.GetConfigurationId(), CycleId: cb.GetCycleId()}
		for _, ch := range cb.GetChanges() {
			b.Outcomes = append(b.Outcomes, &eventsv1.WriteOutcome{
				// No intent exists: the message's coordinates make the id stable.
				IntentId: fmt.Sprintf("%s/%s/dead/%d", cb.GetCycleId(), ch.GetObject().GetObjectId(), d.StreamSeq),
				Source:   ch.GetObject(), Action: eventsv1.WriteAction_WRITE_ACTION_FAIL, Error: fail,
				Attempts: int32(d.NumDelivered), FinishedAt: at})
		}
		return b, nil
	}
	return nil, nil
}
