package synclog

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// TailProvisioningLogs streams matching entries oldest first: those stored
// since filter.start_time (none before the call without it), then new
// ones as they are logged. Caller: xtsyncctl logs tail. It ends when the
// client cancels, or with Unavailable when the service stops (so a
// graceful stop is not held up by open tails).
func (s *Service) TailProvisioningLogs(req *synclogv1.TailProvisioningLogsRequest, stream grpc.ServerStreamingServer[synclogv1.TailProvisioningLogsResponse]) error {
	ctx := stream.Context()
	f, err := parseFilter(req.GetFilter(), "filter.")
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, f.cfg); err != nil {
		return err
	}
	// An ordered consumer: ephemeral, flow-controlled, recreated by the
	// client library after a gap, so a tail never skips or repeats.
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{f.subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if f.hasStart {
		start := f.start
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	c, err := s.d.JetStream.OrderedConsumer(ctx, natsx.StreamLogs, cc)
	if err != nil {
		return rpcError(ctx, fmt.Errorf("tail %s: %w", f.subject, err))
	}
	it, err := c.Messages()
	if err != nil {
		return rpcError(ctx, fmt.Errorf("tail %s: %w", f.subject, err))
	}
	stopped := make(chan struct{})
	done := make(chan struct{})
	defer func() { close(done) }()
	go func() {
		select {
		case <-ctx.Done():
		case <-s.stopping:
			close(stopped)
		case <-done:
		}
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			select {
			case <-stopped:
				return status.Error(codes.Unavailable, "synclog is stopping; resume the tail with start_time")
			default:
			}
			return rpcError(ctx, fmt.Errorf("tail %s: %w", f.subject, err))
		}
		entries, err := decodeLogMsg(m.Data())
		if err != nil {
			s.log.WarnContext(ctx, "synclog: undecodable log message", "subject", m.Subject(), "err", err)
			continue
		}
		for _, e := range entries {
			if !f.match(e) {
				continue
			}
			if err := stream.Send(&synclogv1.TailProvisioningLogsResponse{Entry: e}); err != nil {
				return rpcError(ctx, err)
			}
		}
	}
}
