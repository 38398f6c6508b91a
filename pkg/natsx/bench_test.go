package natsx_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// typicalIntent is a user update as the transformer emits it: GUIDs and the
// handful of attribute changes a default mapping sets.
func typicalIntent(i int) *eventsv1.WriteIntent {
	values := [][2]string{
		{"displayName", fmt.Sprintf("%q", fmt.Sprintf("Adele Vance %d", i))},
		{"givenName", `"Adele"`},
		{"surname", `"Vance"`},
		{"mail", fmt.Sprintf(`"adele.vance%d@contoso.example"`, i)},
		{"userPrincipalName", fmt.Sprintf(`"adele.vance%d_contoso.example#EXT#@fabrikam.example"`, i)},
		{"jobTitle", `"Retail Manager"`},
		{"department", `"Retail"`},
		{"accountEnabled", `true`},
		{"showInAddressList", `true`},
		{"userType", `"Member"`},
	}
	changes := make([]*eventsv1.AttributeChange, len(values))
	for j, v := range values {
		changes[j] = &eventsv1.AttributeChange{Attribute: v[0], GraphProperty: v[0], NewValueJson: v[1], Hash: uint64(i*31 + j)}
	}
	return &eventsv1.WriteIntent{
		ConfigurationId: "6f1c2a9e-4b1d-4f3a-9a51-2c7e0d9b8a11",
		CycleId:         "c-20260101T000000Z",
		Source: &commonv1.ObjectRef{
			Type:     commonv1.ObjectType_OBJECT_TYPE_USER,
			TenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
			ObjectId: fmt.Sprintf("0b4a3c5e-6f0d-4f7e-9d2a-%012d", i),
		},
		TargetObjectId: fmt.Sprintf("9c1d2e3f-0a1b-4c2d-8e3f-%012d", i),
		Action:         eventsv1.WriteAction_WRITE_ACTION_UPDATE,
		Changes:        changes,
		IntentId:       fmt.Sprintf("c-20260101T000000Z/0b4a3c5e-6f0d-4f7e-9d2a-%012d/update", i),
	}
}

// BenchmarkPublishConsume publishes b.N typical WriteIntents asynchronously
// (window 512), then consumes them with the runner. It reports both phases
// in msgs/s and the bytes JetStream stores per message.
func BenchmarkPublishConsume(b *testing.B) {
	for _, syncAlways := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync_always=%t", syncAlways), func(b *testing.B) {
			e := newEnvSync(b, syncAlways, func(c *natsx.TopologyConfig) {
				c.IntentShards = 1
				c.Writer.AckWait = time.Minute
				c.Writer.MaxAckPending = 4096
				c.WorkMaxBytes = 4 << 30
			})
			ctx := context.Background()
			p := e.publisher(natsx.PublisherOptions{})
			msgs := make([]*eventsv1.WriteIntent, 1024)
			for i := range msgs {
				msgs[i] = typicalIntent(i)
			}
			subj, err := natsx.IntentSubject("fabrikam", "cfg1", "x", 1)
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()

			start := time.Now()
			for i := range b.N {
				if err := p.Publish(ctx, subj, msgs[i%len(msgs)], fmt.Sprint("intent-", i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.WaitAll(ctx); err != nil {
				b.Fatal(err)
			}
			pub := time.Since(start)

			b.StopTimer()
			s, err := e.js.Stream(ctx, natsx.StreamIntents)
			require.NoError(b, err)
			info, err := s.Info(ctx)
			require.NoError(b, err)
			require.EqualValues(b, b.N, info.State.Msgs)
			b.ReportMetric(float64(info.State.Bytes)/float64(info.State.Msgs), "stored-B/msg")
			b.ReportMetric(float64(proto.Size(msgs[0])), "payload-B/msg")
			b.StartTimer()

			start = time.Now()
			var handled atomic.Int64
			done := make(chan struct{})
			cctx, cancel := context.WithCancel(ctx)
			go func() {
				defer close(done)
				_ = natsx.Consume(cctx, e.consumer(natsx.StreamIntents, natsx.WriterConsumer(0)), func(context.Context, *natsx.Msg) error {
					handled.Add(1)
					return nil
				}, natsx.ConsumeOptions{Batch: 256, Concurrency: 2})
			}()
			for handled.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			cons := time.Since(start)
			b.StopTimer()
			cancel()
			<-done

			b.ReportMetric(float64(b.N)/pub.Seconds(), "pub-msgs/s")
			b.ReportMetric(float64(b.N)/cons.Seconds(), "consume-msgs/s")
		})
	}
}
