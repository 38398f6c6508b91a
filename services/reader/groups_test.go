package reader_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// memGroups is the transformer's per-cycle group store, in memory.
type memGroups struct {
	mu sync.Mutex
	m  map[string]*eventsv1.SourceChange // cycle/object id
	// listedEarly, when set, reports a List before the users were written.
	listedEarly func() bool
	early       bool
}

func (g *memGroups) List(_ context.Context, cfg, cycleID string) ([]*eventsv1.SourceChange, error) {
	if g.listedEarly != nil && g.listedEarly() {
		g.mu.Lock()
		g.early = true
		g.mu.Unlock()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*eventsv1.SourceChange
	for k, ch := range g.m {
		if strings.HasPrefix(k, cycleID+"/") && ch.GetConfigurationId() == cfg {
			out = append(out, ch)
		}
	}
	return out, nil
}

// stubTransformer consumes the change shards as the transformer would:
// scope-only batches go to groups, the rest is recorded. Once every user
// was consumed it lets the stand-in for their writes (an IntentBatch on
// XTSYNC_INTENTS) go.
type stubTransformer struct {
	e      *env
	groups *memGroups
	users  int // users to see before the writes finish

	mu          sync.Mutex
	written     bool
	scopeIDs    []string // msg ids of scope-only batches
	counted     received
	early       []string // groups published for writing before the users were written
	usersSeen   int
	idle        int
	errs        []error
	intentsCons jetstream.Consumer
	// refs, when set, receives the users kept for the references round
	// (every user whose id ends in 0 or 5); refIDs and refChanges record
	// that round's batches.
	refs       *memGroups
	refIDs     []string
	refChanges []*eventsv1.SourceChange
	refsEarly  bool
}

func (s *stubTransformer) run(ctx context.Context) {
	for ctx.Err() == nil {
		for k := range s.e.topo.ChangeShards {
			cons, err := s.e.js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(k))
			if err != nil {
				s.fail(err)
				return
			}
			batch, err := cons.Fetch(64, jetstream.FetchMaxWait(20*time.Millisecond))
			if err != nil {
				s.fail(err)
				return
			}
			for m := range batch.Messages() {
				var b eventsv1.SourceChangeBatch
				if err := proto.Unmarshal(m.Data(), &b); err != nil {
					s.fail(err)
					return
				}
				s.take(ctx, &b, m.Headers().Get(natsx.HeaderMsgID))
				if err := m.Ack(); err != nil {
					s.fail(err)
				}
			}
		}
		s.finishWrites()
	}
}

func (s *stubTransformer) take(ctx context.Context, b *eventsv1.SourceChangeBatch, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.GetScopeOnly() {
		s.scopeIDs = append(s.scopeIDs, id)
		s.groups.mu.Lock()
		for _, ch := range b.GetChanges() {
			s.groups.m[b.GetCycleId()+"/"+ch.GetObject().GetObjectId()] = ch
		}
		s.groups.mu.Unlock()
		return
	}
	if b.GetReferences() {
		s.refIDs = append(s.refIDs, id)
		s.refChanges = append(s.refChanges, b.GetChanges()...)
		s.refsEarly = s.refsEarly || !s.written
		return
	}
	s.counted.msgIDs = append(s.counted.msgIDs, id)
	s.counted.changes = append(s.counted.changes, b.GetChanges()...)
	for _, ch := range b.GetChanges() {
		switch ch.GetObject().GetType() {
		case commonv1.ObjectType_OBJECT_TYPE_USER:
			s.usersSeen++
			if id := ch.GetObject().GetObjectId(); s.refs != nil && (strings.HasSuffix(id, "0") || strings.HasSuffix(id, "5")) {
				s.refs.mu.Lock()
				s.refs.m[b.GetCycleId()+"/"+id] = ch
				s.refs.mu.Unlock()
			}
		default:
			if !s.written {
				s.early = append(s.early, ch.GetObject().GetObjectId())
			}
		}
	}
}

// finishWrites acks the stand-in for the users' writes a few polls after
// the last user was consumed, so a reader that did not wait for the
// writers would list the groups first.
func (s *stubTransformer) finishWrites() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written || s.usersSeen < s.users {
		return
	}
	if s.idle++; s.idle < 5 {
		return
	}
	s.written = true
	batch, err := s.intentsCons.Fetch(1, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	for m := range batch.Messages() {
		s.errs = append(s.errs, m.Ack())
	}
}

func (s *stubTransformer) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !errors.Is(err, context.Canceled) {
		s.errs = append(s.errs, err)
	}
}

// TestGroupsProvisionedAfterUsersWritten: with a cycle group store, the
// groups round is a scope pass (scope-only batches, not counted), and the
// groups are published for writing once, after every user change was
// consumed and the configuration's intents were acked by the writers;
// CycleEnd counts users and groups once each.
func TestGroupsProvisionedAfterUsersWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 120, groups: 6, pageSize: 50})
	e.groups = &memGroups{m: map[string]*eventsv1.SourceChange{}}
	e.reader = e.newReader()
	ctx := ctxT(t)

	// An unfinished write of this configuration, and one of another.
	for _, subj := range []string{"xtsync.intents.tb." + testCfg + ".0", "xtsync.intents.tb.other.0"} {
		_, err := e.js.Publish(ctx, subj, []byte("x"))
		require.NoError(t, err)
	}
	// The stub writer takes the first (ours); the other stays unacked.
	intents, err := e.js.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(0))
	require.NoError(t, err)

	users, groups := e.liveIDs()
	st := &stubTransformer{e: e, groups: e.groups.(*memGroups), users: len(users), intentsCons: intents}
	st.groups.listedEarly = func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return !st.written
	}
	stubCtx, stopStub := context.WithCancel(ctx)
	stubDone := make(chan struct{})
	go func() { defer close(stubDone); st.run(stubCtx) }()

	require.NoError(t, e.reader.RunCycle(ctx, start("c1", full)))
	stopStub()
	<-stubDone
	st.groups.listedEarly = nil
	st.mu.Lock()
	defer st.mu.Unlock()
	// No end barrier here: the last group batches may still be queued.
	rest := e.drainChanges()
	st.counted.msgIDs = append(st.counted.msgIDs, rest.msgIDs...)
	st.counted.changes = append(st.counted.changes, rest.changes...)
	for _, err := range st.errs {
		require.NoError(t, err)
	}

	require.NotEmpty(t, st.scopeIDs)
	for _, id := range st.scopeIDs {
		require.Contains(t, id, "c1/groups/")
	}
	stored, err := e.groups.List(ctx, testCfg, "c1")
	require.NoError(t, err)
	require.Len(t, stored, len(groups), "every group went through the scope pass")

	require.True(t, st.written)
	require.False(t, st.groups.early, "groups listed before the users' intents were acked")
	require.Empty(t, st.early, "groups published for writing before the users were written")
	gotGroups := st.counted.ofType(commonv1.ObjectType_OBJECT_TYPE_GROUP)
	require.Len(t, gotGroups, len(groups))
	require.Len(t, st.counted.ofType(commonv1.ObjectType_OBJECT_TYPE_USER), len(users))
	require.Len(t, st.counted.changes, len(users)+len(groups), "one change per object")
	for id, ch := range gotGroups {
		require.ElementsMatch(t, e.userMembers(id), ch.GetMemberIds(), id)
	}
	for _, id := range st.counted.msgIDs {
		require.False(t, strings.Contains(id, "/groups/"), id)
	}
	require.True(t, slices.ContainsFunc(st.counted.msgIDs, func(id string) bool { return strings.HasPrefix(id, "c1/group-writes/") }))

	ends := e.cycleEnds()
	require.Len(t, ends, 1)
	require.EqualValues(t, len(users)+len(groups), ends[0].GetChangesPublished(), "scope-only batches not counted")
}

// TestRerunPublishesEachObjectOnce: a reader that dies after its rounds
// were read (here: while waiting for the users' writes) leaves the rounds'
// ends in the watermarks, so the rerun of the cycle publishes no user
// again and only then the groups, and its CycleEnd counts the whole
// cycle; a further rerun finds the same stored groups and JetStream drops
// their copies (same message ids).
func TestRerunPublishesEachObjectOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{users: 60, groups: 4, pageSize: 25})
	e.cfg.BarrierPoll = 10 * time.Millisecond
	e.groups = &memGroups{m: map[string]*eventsv1.SourceChange{}}
	e.reader = e.newReader()
	ctx := ctxT(t)
	_, err := e.js.Publish(ctx, "xtsync.intents.tb."+testCfg+".0", []byte("x"))
	require.NoError(t, err)
	intents, err := e.js.Consumer(ctx, natsx.StreamIntents, natsx.WriterConsumer(0))
	require.NoError(t, err)

	users, groups := e.liveIDs()
	// users: more than exist, so the writes never finish during run 1.
	st := &stubTransformer{e: e, groups: e.groups.(*memGroups), users: len(users) + 1, intentsCons: intents}
	stubCtx, stopStub := context.WithCancel(ctx)
	stubDone := make(chan struct{})
	go func() { defer close(stubDone); st.run(stubCtx) }()
	t.Cleanup(func() { stopStub(); <-stubDone })
	seen := func() int {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.usersSeen
	}

	runCtx, crash := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.reader.RunCycle(runCtx, start("c1", delta)) }()
	eventually(t, func() bool { return seen() == len(users) })
	crash()
	require.ErrorIs(t, <-done, context.Canceled)
	wm := e.watermark(redisx.Users)
	require.NotEmpty(t, wm.EndLink, "the users round's end is recorded")
	require.Empty(t, wm.DeltaLink, "the link moves only at the cycle's end")

	st.mu.Lock()
	st.users = len(users) // now the writes finish
	st.mu.Unlock()
	require.NoError(t, e.reader.RunCycle(ctx, start("c1", delta)))
	require.NotEmpty(t, e.watermark(redisx.Users).DeltaLink)
	require.Empty(t, e.watermark(redisx.Users).EndLink)
	require.NoError(t, e.reader.RunCycle(ctx, start("c1", delta)), "a redelivered start")
	stopStub()
	<-stubDone

	st.mu.Lock()
	defer st.mu.Unlock()
	for _, err := range st.errs {
		require.NoError(t, err)
	}
	rest := e.drainChanges()
	all := append(st.counted.changes, rest.changes...)
	count := map[string]int{}
	for _, ch := range all {
		count[ch.GetObject().GetObjectId()]++
	}
	for id := range users {
		require.Equal(t, 1, count[id], "user %s", id)
	}
	for id := range groups {
		require.Equal(t, 1, count[id], "group %s", id)
	}
	require.Len(t, count, len(users)+len(groups))
	ends := e.cycleEnds()
	require.Len(t, ends, 1, "the redelivered start's CycleEnd is a duplicate")
	require.EqualValues(t, len(users)+len(groups), ends[0].GetChangesPublished(),
		"the rerun counts the users the crashed run published")
}
