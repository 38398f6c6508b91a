package synclog_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/synclog"
)

// An IntentBatch whose writer hangs until its deliveries run out is logged
// as failed objects (escrowed), so its cycle still completes.
func TestDeadIntentBatchLoggedAsFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startCycle("d")
	var intents []*eventsv1.WriteIntent
	for i := range 2 {
		o := outcome("d", i, create, true, "")
		intents = append(intents, &eventsv1.WriteIntent{IntentId: o.GetIntentId(), ConfigurationId: cfgID, CycleId: "d",
			Source: o.GetSource(), Action: create})
	}
	subj, err := natsx.IntentSubject(targetTenant, cfgID, "src-00000", 1)
	require.NoError(t, err)
	require.NoError(t, e.pub.Publish(ctxT(t), subj, &eventsv1.IntentBatch{ConfigurationId: cfgID, CycleId: "d",
		TargetTenantId: targetTenant, Intents: intents}, "d/intents/0"))
	require.NoError(t, e.pub.WaitAll(ctxT(t)))

	// The "writer" takes the batch and never acknowledges it.
	c, err := e.js.Consumer(ctxT(t), natsx.StreamIntents, natsx.WriterConsumer(0))
	require.NoError(t, err)
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
	require.NoError(t, err)
	n := 0
	for range batch.Messages() {
		n++
	}
	require.Equal(t, 1, n)

	e.endCycle("d", 2)
	p := e.progress("d", func(p synclog.Progress) bool { return !p.Completed.IsZero() })
	require.EqualValues(t, 2, p.Failed)
	all := listAll(t, e.client(sourceTenant), &synclogv1.LogFilter{ConfigurationId: cfgID, Code: synclog.CodeDeliveryExhausted}, 10)
	require.Len(t, all, 2)
	escrows, err := e.esc.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, escrows, 2)
}
