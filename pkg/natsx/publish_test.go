package natsx_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestPublishDeduplicatesByMsgID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ids      []string
		wantMsgs uint64
		wantDup  int64
	}{
		{"same id twice is stored once", []string{"a", "a"}, 1, 1},
		{"distinct ids are all stored", []string{"a", "b", "c"}, 3, 0},
		{"replayed page", []string{"a", "b", "c", "a", "b", "c", "d"}, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := ctxT(t)
			reader := metric.NewManualReader()
			p := e.publisher(natsx.PublisherOptions{MeterProvider: metric.NewMeterProvider(metric.WithReader(reader))})
			for _, id := range tt.ids {
				subj, err := natsx.OutcomeSubject("cfg1")
				require.NoError(t, err)
				require.NoError(t, p.Publish(ctx, subj, &eventsv1.WriteOutcome{IntentId: id}, id))
			}
			require.NoError(t, p.WaitAll(ctx))
			require.Zero(t, p.InFlight())
			require.Equal(t, tt.wantMsgs, e.streamMsgs(natsx.StreamOutcomes))
			require.Equal(t, tt.wantDup, counterSum(t, reader, "xtsync.natsx.published", "duplicate"))
			require.Equal(t, int64(len(tt.ids))-tt.wantDup, counterSum(t, reader, "xtsync.natsx.published", "ok"))
		})
	}
}

func TestWaitAllReportsEveryFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	p := e.publisher(natsx.PublisherOptions{Window: 4})
	good, err := natsx.OutcomeSubject("cfg1")
	require.NoError(t, err)
	for i := range 50 { // more than the window: Publish reaps as it goes
		require.NoError(t, p.Publish(ctx, good, &eventsv1.WriteOutcome{}, fmt.Sprint("ok-", i)))
	}
	require.NoError(t, p.Publish(ctx, "nostream.a", &eventsv1.WriteOutcome{}, "bad-1"))
	require.NoError(t, p.Publish(ctx, good, &eventsv1.WriteOutcome{}, "ok-last"))
	require.NoError(t, p.Publish(ctx, "nostream.b", &eventsv1.WriteOutcome{}, "bad-2"))

	err = p.WaitAll(ctx)
	var perr *natsx.PublishError
	require.ErrorAs(t, err, &perr)
	require.Len(t, perr.Failures, 2)
	require.Equal(t, "nostream.a", perr.Failures[0].Subject)
	require.Equal(t, "bad-1", perr.Failures[0].MsgID)
	require.Equal(t, "bad-2", perr.Failures[1].MsgID)
	require.ErrorIs(t, err, jetstream.ErrNoStreamResponse)
	require.Equal(t, uint64(51), e.streamMsgs(natsx.StreamOutcomes))

	// Failures are reported once; the next batch starts clean.
	require.NoError(t, p.WaitAll(ctx))
	require.ErrorIs(t, p.Publish(ctx, good, &eventsv1.WriteOutcome{}, ""), natsx.ErrNoMsgID)
}

func TestPublishFullWorkStreamFailsInsteadOfDropping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *natsx.TopologyConfig) { c.WorkMaxBytes = 1 << 20 })
	ctx := ctxT(t)
	p := e.publisher(natsx.PublisherOptions{})
	big := &eventsv1.WriteOutcome{IntentId: string(make([]byte, 200<<10))}
	subj, err := natsx.OutcomeSubject("cfg1")
	require.NoError(t, err)
	for i := range 8 {
		require.NoError(t, p.Publish(ctx, subj, big, fmt.Sprint("m", i)))
	}
	err = p.WaitAll(ctx)
	var perr *natsx.PublishError
	require.ErrorAs(t, err, &perr)
	require.NotEmpty(t, perr.Failures)
	require.True(t, errors.Is(err, jetstream.ErrMaxBytesExceeded) || errors.As(err, new(*jetstream.APIError)), "%v", err)
	require.Equal(t, uint64(8-len(perr.Failures)), e.streamMsgs(natsx.StreamOutcomes), "the first messages stay")
}

// counterSum adds the data points of an Int64 counter with result=result.
func counterSum(t *testing.T, r *metric.ManualReader, name, result string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(ctxT(t), &rm))
	var sum int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, ok := dp.Attributes.Value("result"); result == "" || ok && v.AsString() == result {
					sum += dp.Value
				}
			}
		}
	}
	return sum
}
