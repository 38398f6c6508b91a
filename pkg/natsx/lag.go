package natsx

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Lag is the queue lag of one durable consumer.
type Lag struct {
	// Pending messages not yet delivered to any client.
	Pending uint64
	// AckPending messages delivered and not yet acknowledged (in flight).
	AckPending uint64
	// Redelivered messages currently pending redelivery.
	Redelivered uint64
}

// Total is the work outstanding: what writer autoscaling scales on.
func (l Lag) Total() uint64 { return l.Pending + l.AckPending }

// Pending asks the server for the consumer's lag (one round trip; call it on
// a metrics tick, not per message).
func Pending(ctx context.Context, c jetstream.Consumer) (Lag, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return Lag{}, fmt.Errorf("natsx: consumer lag: %w", err)
	}
	return Lag{
		Pending:     info.NumPending,
		AckPending:  uint64(info.NumAckPending),
		Redelivered: uint64(info.NumRedelivered),
	}, nil
}
