package natsx

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// headerPinID carries the pin id JetStream gives the pinned client.
const headerPinID = "Nats-Pin-Id"

// unpin releases a pinned shard consumer after a drain, but only if this
// runner still holds the pin: unpinning someone else would hand the shard to
// a third client while the holder still has messages in flight, breaking
// per-object order.
func (r *runner) unpin(c jetstream.Consumer) {
	pin := r.pinID.Load()
	groups := c.CachedInfo().Config.PriorityGroups
	if pin == nil || len(groups) == 0 || r.o.JetStream == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		r.o.Logger.Warn("natsx: unpin: consumer info", "stream", r.stream, "consumer", r.consumer, "err", err)
		return
	}
	for _, g := range info.PriorityGroups {
		if g.Group != groups[0] || g.PinnedClientID != *pin {
			continue
		}
		s, err := r.o.JetStream.Stream(ctx, r.stream)
		if err == nil {
			err = s.UnpinConsumer(ctx, r.consumer, g.Group)
		}
		if err != nil {
			r.o.Logger.Warn("natsx: unpin", "stream", r.stream, "consumer", r.consumer, "err", err)
		}
	}
}
