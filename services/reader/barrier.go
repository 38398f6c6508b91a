package reader

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// waitDrained blocks until XTSYNC_CHANGES holds no message of this
// configuration. The stream is a work queue, so an acknowledged change is
// deleted: an empty backlog means the transformers applied every change
// published so far. A stop or shutdown ends the wait. what names the
// barrier in errors and logs.
func (c *cycle) waitDrained(ctx context.Context, what string) error {
	return c.waitEmpty(ctx, what, natsx.StreamChanges, "xtsync.changes."+c.start.GetConfigurationId()+".*")
}

// waitWritten blocks until XTSYNC_INTENTS holds no message of this
// configuration. Writers ack an IntentBatch only after storing its
// connector entries and publishing its outcomes, so once the changes are
// drained too, every object decided so far is in the connector store.
func (c *cycle) waitWritten(ctx context.Context, what string) error {
	return c.waitEmpty(ctx, what, natsx.StreamIntents, "xtsync.intents.*."+c.start.GetConfigurationId()+".*")
}

// waitUsersWritten is the barrier of the rounds that run after the
// cycle's users are written: every page published and confirmed, the
// changes drained (every user decided), then the intents drained (writers
// ack only after storing the connector entries).
func (c *cycle) waitUsersWritten(ctx context.Context) error {
	if err := c.pp.waitAll(ctx); err != nil {
		return err
	}
	if err := c.waitDrained(ctx, "users"); err != nil {
		return err
	}
	return c.waitWritten(ctx, "users written")
}

// waitEmpty polls the stream's backlog under filter until it is empty.
func (c *cycle) waitEmpty(ctx context.Context, what, streamName, filter string) error {
	stream, err := c.r.deps.JetStream.Stream(ctx, streamName)
	if err != nil {
		return fmt.Errorf("%s barrier: %w", what, err)
	}
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(filter))
		if err != nil {
			return fmt.Errorf("%s barrier: stream info: %w", what, err)
		}
		var backlog uint64
		for _, n := range info.State.Subjects {
			backlog += n
		}
		if backlog == 0 {
			return nil
		}
		c.log.Debug("waiting for the backlog", "barrier", what, "stream", streamName, "backlog", backlog)
		t := time.NewTimer(c.r.cfg.BarrierPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
