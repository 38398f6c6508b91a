package natsx

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// Msg is one delivery handed to a Handler. Acknowledgement belongs to the
// runner (by the handler's return value), so Msg exposes the payload, the
// metadata and InProgress, but not Ack/Nak/Term.
type Msg struct {
	raw  jetstream.Msg
	meta *jetstream.MsgMetadata
}

// Subject the message was published to.
func (m *Msg) Subject() string { return m.raw.Subject() }

// Data is the raw payload.
func (m *Msg) Data() []byte { return m.raw.Data() }

// Header is the message's headers (read-only by convention).
func (m *Msg) Header() nats.Header { return m.raw.Headers() }

// MsgID is the Nats-Msg-Id the producer set: the natural idempotency key.
func (m *Msg) MsgID() string { return m.raw.Headers().Get(HeaderMsgID) }

// OrderKey is the key set by WithOrderKey, or "".
func (m *Msg) OrderKey() string { return m.raw.Headers().Get(HeaderOrderKey) }

// StreamSeq is the message's sequence in its stream: monotonic per stream,
// so a handler can refuse an older change for an object after a newer one
// (redelivery can reorder).
func (m *Msg) StreamSeq() uint64 { return m.meta.Sequence.Stream }

// ConsumerSeq is the delivery sequence in the consumer.
func (m *Msg) ConsumerSeq() uint64 { return m.meta.Sequence.Consumer }

// NumDelivered is 1 on the first delivery.
func (m *Msg) NumDelivered() uint64 { return m.meta.NumDelivered }

// Redelivered reports a delivery after the first (crash, timeout or nak).
func (m *Msg) Redelivered() bool { return m.meta.NumDelivered > 1 }

// Timestamp is when JetStream stored the message.
func (m *Msg) Timestamp() time.Time { return m.meta.Timestamp }

// Stream and Consumer name where the message came from.
func (m *Msg) Stream() string   { return m.meta.Stream }
func (m *Msg) Consumer() string { return m.meta.Consumer }

// InProgress resets the ack timer: a handler that may run longer than the
// consumer's AckWait calls it periodically (or sets AutoInProgress).
func (m *Msg) InProgress() error {
	if err := m.raw.InProgress(); err != nil {
		return fmt.Errorf("natsx: in progress: %w", err)
	}
	return nil
}

// Unmarshal decodes the payload into dst. A payload that does not decode
// never will: the error is Permanent.
func (m *Msg) Unmarshal(dst proto.Message) error {
	if err := proto.Unmarshal(m.raw.Data(), dst); err != nil {
		return Permanent(fmt.Errorf("natsx: unmarshal %s seq %d: %w", dst.ProtoReflect().Descriptor().FullName(), m.StreamSeq(), err))
	}
	return nil
}
