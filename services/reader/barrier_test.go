package reader_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

type staticRevisits struct{ ids []string }

func (s staticRevisits) List(context.Context, string) ([]string, error) { return s.ids, nil }

// TestGroupsBarrier: with the barrier on, no user change is published
// before the transformers (here a drainer) consumed every group change.
func TestGroupsBarrier(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 200, groups: 6, pageSize: 2})
	e.cfg.GroupsBarrier, e.cfg.BarrierPoll = true, 10*time.Millisecond
	e.reader = e.newReader()

	var (
		mu    sync.Mutex
		order []commonv1.ObjectType
	)
	ctx, cancel := context.WithCancel(ctxT(t))
	var wg sync.WaitGroup
	wg.Go(func() { // a stand-in transformer acking every shard
		for ctx.Err() == nil {
			for k := range e.topo.ChangeShards {
				cons, err := e.js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(k))
				if err != nil {
					return
				}
				batch, err := cons.FetchNoWait(64)
				if err != nil {
					return
				}
				for m := range batch.Messages() {
					var b eventsv1.SourceChangeBatch
					if proto.Unmarshal(m.Data(), &b) == nil {
						mu.Lock()
						for _, c := range b.GetChanges() {
							order = append(order, c.GetObject().GetType())
						}
						mu.Unlock()
					}
					_ = m.Ack()
				}
			}
		}
	})
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	cancel()
	wg.Wait()
	rest := e.drainChanges()

	mu.Lock()
	defer mu.Unlock()
	for _, c := range rest.changes {
		order = append(order, c.GetObject().GetType())
	}
	require.Len(t, order, 206)
	for i, typ := range order {
		if i < 6 {
			require.Equal(t, commonv1.ObjectType_OBJECT_TYPE_GROUP, typ, "change %d", i)
		} else {
			require.Equal(t, commonv1.ObjectType_OBJECT_TYPE_USER, typ, "change %d", i)
		}
	}
}

// TestRevisits: a delta cycle publishes the transformer's revisit set, read
// by id, although Graph's delta has nothing for those objects.
func TestRevisits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 20, groups: 2, pageSize: 100})
	user, group := e.tenant.UserIDs()[3], e.tenant.GroupIDs()[1]
	const gone = "00000000-0000-0000-0000-00000000dead"
	e.revisits = staticRevisits{ids: []string{user, group, gone}}
	e.reader = e.newReader()
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	require.Len(t, e.drainChanges().changes, 22, "a full import skips revisits: it reads everything")

	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c2", delta)))
	got := e.drainChanges()
	require.Equal(t, map[string]eventsv1.ChangeKind{user: upsert, group: upsert, gone: hard}, got.kinds())
	byID := got.byID()
	require.Equal(t, user, attrString(t, byID[user], "netId"))
	require.Equal(t, commonv1.ObjectType_OBJECT_TYPE_GROUP, byID[group].GetObject().GetType())
	require.ElementsMatch(t, e.userMembers(group), byID[group].GetMemberIds())
	for _, id := range got.msgIDs {
		require.Contains(t, id, "c2/revisit/")
	}
}

// TestEndBarrier: with the end barrier on, CycleEnd is published only after
// the transformers (here a stand-in) acked every change of the cycle, so
// the transformer's deletion decision sees the whole cycle.
func TestEndBarrier(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 20, groups: 2, pageSize: 5})
	e.cfg.EndBarrier, e.cfg.BarrierPoll = true, 10*time.Millisecond
	e.reader = e.newReader()
	endSubject, err := natsx.CycleSubject(testCfg, natsx.CycleVerbEnd)
	require.NoError(t, err)
	cycles, err := e.js.Stream(ctxT(t), natsx.StreamCycles)
	require.NoError(t, err)
	endsStored := func(ctx context.Context) (uint64, error) {
		info, err := cycles.Info(ctx, jetstream.WithSubjectFilter(endSubject))
		if err != nil {
			return 0, err
		}
		return info.State.Subjects[endSubject], nil
	}

	var (
		mu           sync.Mutex
		acked        int
		endBeforeAck bool
		errs         []error
		modes        = map[eventsv1.CycleMode]int{}
		ctx, cancel  = context.WithCancel(ctxT(t))
		wg           sync.WaitGroup
	)
	wg.Go(func() { // a stand-in transformer
		for ctx.Err() == nil {
			for k := range e.topo.ChangeShards {
				cons, err := e.js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(k))
				if err != nil {
					return
				}
				batch, err := cons.FetchNoWait(64)
				if err != nil {
					return
				}
				for m := range batch.Messages() {
					var b eventsv1.SourceChangeBatch
					err := proto.Unmarshal(m.Data(), &b)
					ends, ierr := endsStored(ctx)
					mu.Lock()
					if err != nil || (ierr != nil && ctx.Err() == nil) {
						errs = append(errs, err, ierr)
					}
					modes[b.GetMode()]++
					acked += len(b.GetChanges())
					endBeforeAck = endBeforeAck || ends > 0
					mu.Unlock()
					_ = m.Ack()
				}
			}
		}
	})
	require.NoError(t, e.reader.RunCycle(ctxT(t), start("c1", delta)))
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	require.NoError(t, errors.Join(errs...))
	require.False(t, endBeforeAck, "CycleEnd stored while a change was unacknowledged")
	require.Equal(t, 22, acked)
	require.Len(t, modes, 1)
	require.Contains(t, modes, eventsv1.CycleMode_CYCLE_MODE_DELTA, "every batch carries the cycle's mode")
	ends := e.cycleEnds()
	require.Len(t, ends, 1)
	require.EqualValues(t, 22, ends[0].GetChangesPublished())
	require.Equal(t, eventsv1.CycleMode_CYCLE_MODE_DELTA, ends[0].GetMode())
}
