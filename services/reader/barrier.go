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
	stream, err := c.r.deps.JetStream.Stream(ctx, natsx.StreamChanges)
	if err != nil {
		return fmt.Errorf("%s barrier: %w", what, err)
	}
	filter := "xtsync.changes." + c.start.GetConfigurationId() + ".*"
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
		c.log.Debug("waiting for the transformers", "barrier", what, "backlog", backlog)
		t := time.NewTimer(c.r.cfg.BarrierPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
