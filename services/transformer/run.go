package transformer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// Run consumes the served change shards until ctx ends, then drains: each
// shard runner stops pulling, finishes (or gives back) what it holds, and
// Run returns nil. If one runner fails (its consumer is gone) the others
// are stopped and the error returned.
func (t *Transformer) Run(ctx context.Context) error {
	js := t.deps.JetStream
	if js == nil {
		return errors.New("transformer: run needs JetStream")
	}
	shards := t.cfg.served()
	// One publisher per handler goroutine: Publisher.WaitAll reports (and
	// forgets) the failures of every publish on it, so a shared one could
	// let a handler ack a batch whose intents another handler saw fail.
	pool := make(chan *natsx.Publisher, len(shards)*t.cfg.Concurrency)
	for range cap(pool) {
		p, err := natsx.NewPublisher(js, natsx.PublisherOptions{MeterProvider: t.deps.MeterProvider})
		if err != nil {
			return fmt.Errorf("transformer: publisher: %w", err)
		}
		pool <- p
	}
	ends, err := js.Consumer(ctx, natsx.StreamCycles, natsx.ConsumerTransformerCycles)
	if err != nil {
		return fmt.Errorf("transformer: consumer of cycle ends: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, k := range shards {
		c, err := js.Consumer(ctx, natsx.StreamChanges, natsx.TransformerConsumer(k))
		if err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("transformer: consumer of shard %d: %w", k, err)
		}
		wg.Go(func() {
			err := natsx.Consume(runCtx, c, t.handler(pool), natsx.ConsumeOptions{
				Batch: t.cfg.FetchBatch, Concurrency: t.cfg.Concurrency, DrainTimeout: t.cfg.DrainTimeout,
				JetStream: js, Logger: t.log, TracerProvider: t.deps.TracerProvider, MeterProvider: t.deps.MeterProvider,
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("shard %d: %w", k, err))
				mu.Unlock()
				cancel()
			}
		})
	}
	// Cycle ends: the per-cycle accidental-deletion decision. One at a
	// time per replica; the decision is idempotent if two replicas see one.
	wg.Go(func() {
		err := natsx.Consume(runCtx, ends, t.cycleEndHandler(), natsx.ConsumeOptions{
			Batch: 1, Concurrency: 1, DrainTimeout: t.cfg.DrainTimeout,
			JetStream: js, Logger: t.log, TracerProvider: t.deps.TracerProvider, MeterProvider: t.deps.MeterProvider,
		})
		if err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("cycle ends: %w", err))
			mu.Unlock()
			cancel()
		}
	})
	t.log.InfoContext(ctx, "transformer running", "shards", len(shards))
	wg.Wait()
	return errors.Join(errs...)
}

// handler processes one SourceChangeBatch: decide, publish the signal and
// the intents, wait for JetStream to store them, and only then return nil
// (the runner acks the input).
func (t *Transformer) handler(pool chan *natsx.Publisher) natsx.Handler {
	return func(ctx context.Context, m *natsx.Msg) error {
		var b eventsv1.SourceChangeBatch
		if err := m.Unmarshal(&b); err != nil {
			return err
		}
		if err := t.releaseApproved(ctx, b.GetConfigurationId()); err != nil {
			return err
		}
		res, err := t.Process(ctx, &b)
		if err != nil {
			return err
		}
		if b.GetScopeOnly() {
			return nil // stored for the groups provisioning round; nothing for writers
		}
		msgID := m.MsgID()
		if msgID == "" {
			msgID = b.GetCycleId() + "/page/" + strconv.FormatInt(b.GetPage(), 10) + "/" + strconv.Itoa(int(b.GetShard()))
		}
		var p *natsx.Publisher
		select {
		case p = <-pool:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { pool <- p }()
		if len(res.Held) > 0 {
			if err := t.publishHeldSignal(ctx, p, res, msgID); err != nil {
				return err
			}
		}
		if err := t.publishIntents(ctx, p, res.Intents, b.GetChanges(), msgID); err != nil {
			return err
		}
		if err := p.WaitAll(ctx); err != nil {
			return fmt.Errorf("publish intents of %s: %w", msgID, err)
		}
		if t.afterPublish != nil {
			return t.afterPublish(ctx, msgID)
		}
		return nil
	}
}

// publishIntents sends the batch's intents, one IntentBatch per intent
// shard. With as many intent shards as change shards (the default) that is
// exactly one message whose id is the input's; otherwise each carries
// "<input id>/<intent shard>". A shard's intents over MaxMessageBytes go
// in several messages, "<id>/part<n>". A batch whose intents were all held
// still sends an empty IntentBatch, so every input has its output.
func (t *Transformer) publishIntents(ctx context.Context, p *natsx.Publisher, out *eventsv1.IntentBatch,
	changes []*eventsv1.SourceChange, msgID string) error {
	type group struct {
		route   string // an object id of the shard: IntentSubject hashes it
		intents []*eventsv1.WriteIntent
	}
	groups := map[int]*group{}
	route := func(obj string) *group {
		k := natsx.ShardOf(obj, t.cfg.IntentShards)
		g, ok := groups[k]
		if !ok {
			g = &group{route: obj}
			groups[k] = g
		}
		return g
	}
	for _, wi := range out.GetIntents() {
		g := route(wi.GetSource().GetObjectId())
		g.intents = append(g.intents, wi)
	}
	if len(groups) == 0 {
		if len(changes) == 0 {
			return nil // nothing to route, nothing for writers
		}
		route(changes[0].GetObject().GetObjectId())
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := groups[k]
		base := msgID
		if len(keys) > 1 {
			base += "/" + strconv.Itoa(k)
		}
		subj, err := natsx.IntentSubject(out.GetTargetTenantId(), out.GetConfigurationId(), g.route, t.cfg.IntentShards)
		if err != nil {
			return natsx.Permanent(fmt.Errorf("intent subject: %w", err))
		}
		parts := t.split(out, int32(k), g.intents)
		for n, ib := range parts {
			id := base
			if len(parts) > 1 {
				id += "/part" + strconv.Itoa(n)
			}
			if err := p.Publish(ctx, subj, ib, id); err != nil {
				return fmt.Errorf("publish %s: %w", id, err)
			}
		}
	}
	return nil
}

// split cuts a shard's intents into IntentBatches of at most
// MaxMessageBytes, in order. One intent is bounded: a group's member ids
// beyond redisx.InlineMembers go as member sets (externalizeMembers).
func (t *Transformer) split(out *eventsv1.IntentBatch, shard int32, intents []*eventsv1.WriteIntent) []*eventsv1.IntentBatch {
	mk := func() *eventsv1.IntentBatch {
		return &eventsv1.IntentBatch{ConfigurationId: out.GetConfigurationId(), CycleId: out.GetCycleId(),
			TargetTenantId: out.GetTargetTenantId(), Shard: shard}
	}
	cur := mk()
	parts := []*eventsv1.IntentBatch{cur}
	size := proto.Size(cur)
	for _, wi := range intents {
		n := proto.Size(wi) + 8 // field tag and length prefix
		if len(cur.Intents) > 0 && size+n > t.cfg.MaxMessageBytes {
			cur = mk()
			parts = append(parts, cur)
			size = proto.Size(cur)
		}
		cur.Intents = append(cur.Intents, wi)
		size += n
	}
	return parts
}
