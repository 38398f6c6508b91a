package natsx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamDeadLetters captures JetStream's MAX_DELIVERIES advisories for the
// work streams. The runner dead-letters a message itself when its last
// delivery fails; this stream covers the case it cannot see: the last
// delivery timed out (the process crashed or hung). Advisories are plain NATS
// messages, lost if nobody listens; capturing them in a stream makes them
// durable work. WorkQueue retention: one processor acks each.
const StreamDeadLetters = "XTSYNC_DEADLETTERS"

// ConsumerDeadLetters is the durable consumer of StreamDeadLetters (run by
// the log service with DeadLetterHandler).
const ConsumerDeadLetters = "synclog-deadletters"

const maxDeliveriesAdvisory = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"

func deadLetterStream(cfg TopologyConfig) jetstream.StreamConfig {
	var subjects []string
	for _, s := range []string{StreamCycles, StreamChanges, StreamIntents, StreamOutcomes} {
		subjects = append(subjects, maxDeliveriesAdvisory+"."+s+".*")
	}
	return jetstream.StreamConfig{
		Name:        StreamDeadLetters,
		Description: "max-deliveries advisories of the work streams",
		Subjects:    subjects,
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      cfg.LogMaxAge, // unprocessed for that long: give up
		MaxBytes:    cfg.WorkMaxBytes,
		MaxMsgs:     -1,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	}
}

// maxDeliveriesEvent is the advisory's JSON (server type
// io.nats.jetstream.advisory.v1.max_deliver).
type maxDeliveriesEvent struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// errGone says the dead-lettered message had already left its stream.
var errGone = errors.New("natsx: dead-lettered message no longer in its stream")

// DeadLetterHandler turns captured MAX_DELIVERIES advisories into DeadLetter
// calls carrying the original message, then deletes the original from its
// stream (JetStream never redelivers it, and on a work queue it would stay
// forever). Run it with Consume on ConsumerDeadLetters. The hook runs before
// the delete, so a crash in between reports the message twice, never zero
// times: hooks key escrow entries by stream and sequence.
func DeadLetterHandler(js jetstream.JetStream, hook func(context.Context, DeadLetter)) Handler {
	return func(ctx context.Context, m *Msg) error {
		var ev maxDeliveriesEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			return Permanent(fmt.Errorf("natsx: decode max-deliveries advisory: %w", err))
		}
		d := DeadLetter{
			Stream: ev.Stream, Consumer: ev.Consumer, StreamSeq: ev.StreamSeq,
			NumDelivered: ev.Deliveries, Reason: DeadLetterMaxDeliver,
			Err: errors.New("natsx: last delivery not acknowledged within AckWait"),
		}
		s, err := js.Stream(ctx, ev.Stream)
		if err != nil {
			return fmt.Errorf("natsx: dead letter %s/%d: %w", ev.Stream, ev.StreamSeq, err)
		}
		raw, err := s.GetMsg(ctx, ev.StreamSeq)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			d.Err = errors.Join(d.Err, errGone)
		case err != nil:
			return fmt.Errorf("natsx: dead letter %s/%d: %w", ev.Stream, ev.StreamSeq, err)
		default:
			d.Subject, d.Header, d.Data = raw.Subject, raw.Header, raw.Data
			d.MsgID = raw.Header.Get(HeaderMsgID)
		}
		hook(ctx, d)
		if raw != nil {
			if err := s.DeleteMsg(ctx, ev.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("natsx: delete dead letter %s/%d: %w", ev.Stream, ev.StreamSeq, err)
			}
		}
		return nil
	}
}
