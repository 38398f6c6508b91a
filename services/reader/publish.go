package reader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
)

// pagePublisher turns the changes of one page into SourceChangeBatches, one
// per shard (split further only when a batch would exceed MaxBatchBytes),
// and publishes them asynchronously on one cycle's Publisher.
type pagePublisher struct {
	pub      *natsx.Publisher
	shards   int
	maxBytes int
	cfgID    string
	cycleID  string
	mode     eventsv1.CycleMode
	m        *metrics
	// sets holds the members of groups longer than redisx.InlineMembers
	// (externalize); nil keeps every list inline.
	sets *redisx.MemberSets
	// scopeOnly marks the batches of the groups' scope pass: the
	// transformer stores them for the groups provisioning round and
	// writes nothing, so they are not counted in published.
	scopeOnly bool
	// references marks the batches of the references round: parts of
	// objects already counted, so not counted again.
	references bool
	// published counts SourceChanges handed to JetStream in this run; it is
	// what CycleEnd reports once WaitAll confirmed them.
	published int64
}

// batchMsgID is the Nats-Msg-Id of a batch: <cycle>/<type>/<page>/<shard>,
// plus /<part> for the second and later parts of a split batch. The same
// page re-read after a crash gets the same id (see cycle.go on page
// numbers), so JetStream drops the copy.
func batchMsgID(cycleID, typ string, page int64, shard, part int) string {
	id := cycleID + "/" + typ + "/" + strconv.FormatInt(page, 10) + "/" + strconv.Itoa(shard)
	if part > 0 {
		id += "/" + strconv.Itoa(part)
	}
	return id
}

// publish sends the changes of page; they must be in source order.
func (p *pagePublisher) publish(ctx context.Context, typ string, page int64, changes []*eventsv1.SourceChange) error {
	return p.publishShards(ctx, typ, changes, func([]*eventsv1.SourceChange) int64 { return page })
}

// publishByContent sends the changes of the page read from link,
// numbering each shard's batch by its content (contentNumber): a rerun
// that reads again a page the crashed run published but did not commit
// publishes the same batches under the same message ids, and JetStream
// drops them.
func (p *pagePublisher) publishByContent(ctx context.Context, typ, link string, changes []*eventsv1.SourceChange) error {
	return p.publishShards(ctx, typ, changes, func(shard []*eventsv1.SourceChange) int64 {
		return contentNumber(typ, link, shard)
	})
}

func (p *pagePublisher) publishShards(ctx context.Context, typ string, changes []*eventsv1.SourceChange,
	number func([]*eventsv1.SourceChange) int64) error {
	if err := p.externalize(ctx, changes); err != nil {
		return err
	}
	byShard := map[int][]*eventsv1.SourceChange{}
	for _, c := range changes {
		k := natsx.ShardOf(c.GetObject().GetObjectId(), p.shards)
		byShard[k] = append(byShard[k], c)
	}
	shards := make([]int, 0, len(byShard))
	for k := range byShard {
		shards = append(shards, k)
	}
	sort.Ints(shards)
	for _, k := range shards {
		page := number(byShard[k])
		for part, chunk := range p.split(byShard[k]) {
			if err := p.send(ctx, typ, page, k, part, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// split cuts one shard's changes into chunks whose encoded batch stays
// under maxBytes. A single change bigger than that goes alone (JetStream
// then refuses it if it is over MaxMsgSize, and the cycle fails loudly).
func (p *pagePublisher) split(changes []*eventsv1.SourceChange) [][]*eventsv1.SourceChange {
	const envelope = 256 // ids, shard and page of the batch itself
	var out [][]*eventsv1.SourceChange
	start, size := 0, envelope
	for i, c := range changes {
		n := proto.Size(c)
		n += protowire.SizeTag(4) + protowire.SizeBytes(n) - n // field 4 framing
		if i > start && size+n > p.maxBytes {
			out = append(out, changes[start:i])
			start, size = i, envelope
		}
		size += n
	}
	return append(out, changes[start:])
}

func (p *pagePublisher) send(ctx context.Context, typ string, page int64, shard, part int, changes []*eventsv1.SourceChange) error {
	subject, err := natsx.ChangeSubject(p.cfgID, changes[0].GetObject().GetObjectId(), p.shards)
	if err != nil {
		return fmt.Errorf("change subject: %w", err)
	}
	batch := &eventsv1.SourceChangeBatch{
		ConfigurationId: p.cfgID,
		CycleId:         p.cycleID,
		Shard:           int32(shard),
		Changes:         changes,
		Page:            page,
		Mode:            p.mode,
		ScopeOnly:       p.scopeOnly,
		References:      p.references,
	}
	id := batchMsgID(p.cycleID, typ, page, shard, part)
	// One order key per configuration and shard: a shard consumer applies
	// the batches of one configuration in the order they were read.
	key := p.cfgID + "/" + strconv.Itoa(shard)
	if err := p.pub.Publish(ctx, subject, batch, id, natsx.WithOrderKey(key)); err != nil {
		p.m.publishFailures.Add(ctx, 1)
		return fmt.Errorf("publish batch %s: %w", id, err)
	}
	if !p.scopeOnly && !p.references {
		p.published += int64(len(changes))
	}
	return nil
}

// waitAll waits for every publish so far to be stored by JetStream.
func (p *pagePublisher) waitAll(ctx context.Context) error {
	if err := p.pub.WaitAll(ctx); err != nil {
		var pe *natsx.PublishError
		if errors.As(err, &pe) {
			p.m.publishFailures.Add(ctx, int64(len(pe.Failures)))
		}
		return fmt.Errorf("wait for publish acks: %w", err)
	}
	return nil
}
