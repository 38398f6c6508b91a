package reader_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// received is what the reader put on XTSYNC_CHANGES, as the transformer's
// shard consumers see it.
type received struct {
	msgIDs  []string
	changes []*eventsv1.SourceChange
}

// kinds indexes changes by object id; an id seen twice must have the same
// kind both times.
func (r received) kinds() map[string]eventsv1.ChangeKind {
	out := map[string]eventsv1.ChangeKind{}
	for _, c := range r.changes {
		out[c.GetObject().GetObjectId()] = c.GetKind()
	}
	return out
}

func (r received) byID() map[string]*eventsv1.SourceChange {
	out := map[string]*eventsv1.SourceChange{}
	for _, c := range r.changes {
		out[c.GetObject().GetObjectId()] = c
	}
	return out
}

func (r received) ofType(t commonv1.ObjectType) map[string]*eventsv1.SourceChange {
	out := map[string]*eventsv1.SourceChange{}
	for _, c := range r.changes {
		if c.GetObject().GetType() == t {
			out[c.GetObject().GetObjectId()] = c
		}
	}
	return out
}

// drainChanges pulls and acks everything on every change shard, checking
// each batch against the subject and message-id contract.
func (e *env) drainChanges() received {
	e.t.Helper()
	ctx := ctxT(e.t)
	var out received
	for k := range e.topo.ChangeShards {
		cons, err := e.js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(k))
		require.NoError(e.t, err)
		for {
			batch, err := cons.FetchNoWait(256)
			require.NoError(e.t, err)
			n := 0
			for m := range batch.Messages() {
				n++
				var b eventsv1.SourceChangeBatch
				require.NoError(e.t, proto.Unmarshal(m.Data(), &b))
				require.Equal(e.t, fmt.Sprintf("xtsync.changes.%s.%d", testCfg, k), m.Subject())
				require.EqualValues(e.t, k, b.GetShard())
				require.NotEmpty(e.t, b.GetChanges())
				id := m.Headers().Get(natsx.HeaderMsgID)
				require.True(e.t, strings.HasPrefix(id, fmt.Sprintf("%s/", b.GetCycleId())), id)
				require.Contains(e.t, id, fmt.Sprintf("/%d/%d", b.GetPage(), k))
				for _, c := range b.GetChanges() {
					require.Equal(e.t, k, natsx.ShardOf(c.GetObject().GetObjectId(), e.topo.ChangeShards))
					require.Equal(e.t, b.GetCycleId(), c.GetCycleId())
					require.Equal(e.t, testCfg, c.GetConfigurationId())
					require.Equal(e.t, e.tenant.ID(), c.GetObject().GetTenantId())
				}
				out.msgIDs = append(out.msgIDs, id)
				out.changes = append(out.changes, b.GetChanges()...)
				require.NoError(e.t, m.Ack())
			}
			require.NoError(e.t, batch.Error())
			if n > 0 {
				continue
			}
			// FetchNoWait can answer "none" before the consumer has seen
			// messages the stream just stored (a CI failure, under load).
			info, err := cons.Info(ctx)
			require.NoError(e.t, err)
			if info.NumPending == 0 {
				break
			}
		}
	}
	return out
}

// cycleEnds returns the CycleEnds published since the last call.
func (e *env) cycleEnds() []*eventsv1.CycleEnd {
	e.t.Helper()
	ctx := ctxT(e.t)
	cons, err := e.js.Consumer(ctx, natsx.StreamCycles, natsx.ConsumerSynclogCycles)
	require.NoError(e.t, err)
	var out []*eventsv1.CycleEnd
	for {
		batch, err := cons.FetchNoWait(64)
		require.NoError(e.t, err)
		n := 0
		for m := range batch.Messages() {
			n++
			require.NoError(e.t, m.Ack())
			if !strings.HasSuffix(m.Subject(), "."+natsx.CycleVerbEnd) {
				continue
			}
			var end eventsv1.CycleEnd
			require.NoError(e.t, proto.Unmarshal(m.Data(), &end))
			require.Equal(e.t, end.GetCycleId()+"/end", m.Headers().Get(natsx.HeaderMsgID))
			out = append(out, &end)
		}
		require.NoError(e.t, batch.Error())
		if n == 0 {
			return out
		}
	}
}

func (e *env) watermark(t redisx.ObjectType) redisx.Watermark {
	e.t.Helper()
	wm, err := e.wm.Get(ctxT(e.t), testCfg, t)
	require.NoError(e.t, err)
	return wm
}

// command publishes a cycle command as the scheduler does.
func (e *env) command(verb string, msg proto.Message, msgID string) {
	e.t.Helper()
	subject, err := natsx.CycleSubject(testCfg, verb)
	require.NoError(e.t, err)
	data, err := proto.Marshal(msg)
	require.NoError(e.t, err)
	_, err = e.js.Publish(ctxT(e.t), subject, data, jetstream.WithMsgID(msgID))
	require.NoError(e.t, err)
}

func start(cycleID string, mode eventsv1.CycleMode, objects ...*commonv1.ObjectRef) *eventsv1.CycleStart {
	return &eventsv1.CycleStart{ConfigurationId: testCfg, CycleId: cycleID, Mode: mode, Objects: objects}
}

// hookSource wraps the real adapter to observe the links the reader asks
// for and to inject a crash or a pause before a given users page.
type hookSource struct {
	graph.Source
	mu    sync.Mutex
	links []string // users delta links, in request order
	// before, when set, runs before users page n (1-based) is fetched; an
	// error is returned instead of the page.
	before func(ctx context.Context, n int) error
}

func (h *hookSource) UsersDeltaPage(ctx context.Context, r graph.DeltaRequest) (graph.DeltaPage[graph.User], error) {
	h.mu.Lock()
	h.links = append(h.links, r.Link)
	n, before := len(h.links), h.before
	h.mu.Unlock()
	if before != nil {
		if err := before(ctx, n); err != nil {
			return graph.DeltaPage[graph.User]{}, err
		}
	}
	return h.Source.UsersDeltaPage(ctx, r)
}

func (h *hookSource) requested() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.links...)
}

var errCrash = errors.New("simulated crash")

// userIDs and groupIDs of the live source tenant.
func (e *env) liveIDs() (users, groups map[string]bool) {
	users, groups = map[string]bool{}, map[string]bool{}
	for _, id := range e.tenant.UserIDs() {
		users[id] = true
	}
	for _, id := range e.tenant.GroupIDs() {
		groups[id] = true
	}
	return users, groups
}

// userMembers is the tenant's current direct user members of group id.
func (e *env) userMembers(id string) []string {
	g, ok := e.tenant.Group(id)
	require.True(e.t, ok, id)
	out := []string{}
	for _, m := range g.Members {
		if _, isUser := e.tenant.User(m); isUser {
			out = append(out, m)
		}
	}
	return out
}

// eventually polls cond; no wall-clock assertion, only a generous bound.
func eventually(t require.TestingT, cond func() bool) {
	require.Eventually(t, cond, time.Minute, 20*time.Millisecond)
}
