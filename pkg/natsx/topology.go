package natsx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream names.
const (
	// StreamCycles carries cycle commands (start, stop) from the scheduler to
	// the reader and the reader's cycle end to the log service. Interest
	// retention: each command is kept until every consumer interested in its
	// subject (reader, log) has acknowledged it, then dropped.
	StreamCycles = "XTSYNC_CYCLES"
	// StreamChanges carries SourceChange from the reader to transformers.
	// WorkQueue retention: a change is work for exactly one shard consumer and
	// is deleted when acknowledged, so the stream holds only the backlog. The
	// server refuses a second consumer with an overlapping filter, which
	// guards against two transformers applying one change.
	StreamChanges = "XTSYNC_CHANGES"
	// StreamIntents carries WriteIntent from transformers to writers; the
	// same WorkQueue reasoning as StreamChanges, per target-tenant shard.
	StreamIntents = "XTSYNC_INTENTS"
	// StreamOutcomes carries WriteOutcome from writers to the log service.
	// Interest retention so another reader (escrow, metrics) can be added as a
	// second durable without a new stream.
	StreamOutcomes = "XTSYNC_OUTCOMES"
	// StreamLogs is the provisioning log. Limits retention by age and size
	// (discard old): it is history to query, not work to do.
	StreamLogs = "XTSYNC_LOGS"
)

// Durable consumer names. Shard consumers are TransformerConsumer(k) and
// WriterConsumer(k).
const (
	ConsumerReaderCycles    = "reader-cycles"
	ConsumerSynclogCycles   = "synclog-cycles"
	ConsumerSynclogOutcomes = "synclog-outcomes"
	// ConsumerSchedulerCycles takes cycle ends only: the scheduler clears a
	// job's running cycle when its CycleEnd arrives.
	ConsumerSchedulerCycles = "scheduler-cycles"
	// ConsumerTransformerCycles takes cycle ends only: the transformer
	// decides the cycle's accidental-deletion threshold on them.
	ConsumerTransformerCycles = "transformer-cycles"
	transformerPrefix         = "transformer-shard-"
	writerPrefix              = "writer-shard-"
)

// TransformerConsumer names the durable consumer of change shard k.
func TransformerConsumer(k int) string { return transformerPrefix + strconv.Itoa(k) }

// WriterConsumer names the durable consumer of intent shard k.
func WriterConsumer(k int) string { return writerPrefix + strconv.Itoa(k) }

// PriorityGroup is the group name of pinned shard consumers.
const PriorityGroup = "xtsync"

// ConsumerSpec is one durable consumer of one stream.
type ConsumerSpec struct {
	Stream string
	Config jetstream.ConsumerConfig
}

// Streams returns the stream configurations for cfg: the topology as data,
// so tests and `xtsync -config.verify` can print it.
func Streams(cfg TopologyConfig) []jetstream.StreamConfig {
	work := func(name, desc string, subjects []string, ret jetstream.RetentionPolicy) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: desc,
			Subjects:    subjects,
			Retention:   ret,
			MaxBytes:    cfg.WorkMaxBytes,
			MaxMsgs:     -1,
			// Discard new: a full stream fails the publish, the producer keeps
			// its watermark and retries; discard old would silently drop work.
			Discard:    jetstream.DiscardNew,
			MaxMsgSize: cfg.MaxMsgSize,
			Storage:    jetstream.FileStorage,
			Replicas:   cfg.Replicas,
			Duplicates: cfg.DuplicateWindow,
		}
	}
	cycles := work(StreamCycles, "cycle commands: scheduler -> reader, reader -> synclog", []string{subjCycles + ".*.*"}, jetstream.InterestPolicy)
	cycles.MaxAge = cfg.CycleMaxAge
	logs := jetstream.StreamConfig{
		Name:        StreamLogs,
		Description: "provisioning log, queried by configuration and cycle",
		Subjects:    []string{subjLogs + ".*.*"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      cfg.LogMaxAge,
		MaxBytes:    cfg.LogMaxBytes,
		MaxMsgs:     -1,
		Discard:     jetstream.DiscardOld,
		MaxMsgSize:  cfg.MaxMsgSize,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		// Log entries are repetitive JSON-like protobufs: S2 pays for itself.
		Compression: jetstream.S2Compression,
		// Direct get lets the query API read entries without a consumer.
		AllowDirect: true,
	}
	return []jetstream.StreamConfig{
		cycles,
		work(StreamChanges, "source changes: reader -> transformer, sharded by object id", []string{subjChanges + ".*.*"}, jetstream.WorkQueuePolicy),
		work(StreamIntents, "write intents: transformer -> writer, sharded by object id", []string{subjIntents + ".*.*.*"}, jetstream.WorkQueuePolicy),
		work(StreamOutcomes, "write outcomes: writer -> synclog", []string{subjOutcomes + ".*"}, jetstream.InterestPolicy),
		logs,
		deadLetterStream(cfg),
	}
}

// Consumers returns the durable pull consumers for cfg.
func Consumers(cfg TopologyConfig) []ConsumerSpec {
	durable := func(name, desc string, t ConsumerTuning, filters ...string) jetstream.ConsumerConfig {
		c := jetstream.ConsumerConfig{
			Durable:       name,
			Description:   desc,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       t.AckWait,
			MaxDeliver:    t.MaxDeliver,
			BackOff:       t.BackOff,
			MaxAckPending: t.MaxAckPending,
			Replicas:      cfg.Replicas,
		}
		switch len(filters) {
		case 0: // the whole stream
		case 1:
			c.FilterSubject = filters[0]
		default:
			c.FilterSubjects = filters
		}
		return c
	}
	specs := []ConsumerSpec{
		{StreamCycles, durable(ConsumerReaderCycles, "reader: cycle start/stop", cfg.Cycles,
			subjCycles+".*."+CycleVerbStart, subjCycles+".*."+CycleVerbStop)},
		{StreamCycles, durable(ConsumerSynclogCycles, "synclog: every cycle event", cfg.Cycles, subjCycles+".>")},
		{StreamCycles, durable(ConsumerSchedulerCycles, "scheduler: cycle ends", cfg.Cycles, subjCycles+".*."+CycleVerbEnd)},
		{StreamCycles, durable(ConsumerTransformerCycles, "transformer: cycle ends (deletion threshold)", cfg.Cycles, subjCycles+".*."+CycleVerbEnd)},
		{StreamOutcomes, durable(ConsumerSynclogOutcomes, "synclog: write outcomes", cfg.Synclog, subjOutcomes+".>")},
		{StreamDeadLetters, durable(ConsumerDeadLetters, "synclog: messages that exhausted their deliveries", cfg.Synclog)},
	}
	pin := func(c jetstream.ConsumerConfig) jetstream.ConsumerConfig {
		if cfg.PinnedTTL > 0 {
			c.PriorityPolicy = jetstream.PriorityPolicyPinned
			c.PriorityGroups = []string{PriorityGroup}
			c.PinnedTTL = cfg.PinnedTTL
		}
		return c
	}
	for k := range cfg.ChangeShards {
		specs = append(specs, ConsumerSpec{StreamChanges, pin(durable(TransformerConsumer(k), "transformer: change shard "+strconv.Itoa(k), cfg.Transformer, changeShardFilter(k)))})
	}
	for k := range cfg.IntentShards {
		specs = append(specs, ConsumerSpec{StreamIntents, pin(durable(WriterConsumer(k), "writer: intent shard "+strconv.Itoa(k), cfg.Writer, intentShardFilter(k)))})
	}
	return specs
}

// EnsureTopology creates or updates every stream and durable consumer. It is
// idempotent, so every service calls it at start; a setting JetStream cannot
// change in place (retention, storage) fails with the stream named. Shard
// consumers beyond the configured count are deleted when they hold no work,
// and reported as an error when they do (drain before shrinking).
func EnsureTopology(ctx context.Context, js jetstream.JetStream, cfg TopologyConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, sc := range Streams(cfg) {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("natsx: ensure stream %s: %w", sc.Name, err)
		}
	}
	// Consumers are created after streams, and before anything publishes:
	// an interest stream drops messages nobody is subscribed to yet.
	for _, cs := range Consumers(cfg) {
		if _, err := js.CreateOrUpdateConsumer(ctx, cs.Stream, cs.Config); err != nil {
			return fmt.Errorf("natsx: ensure consumer %s/%s: %w", cs.Stream, cs.Config.Durable, err)
		}
	}
	return errors.Join(
		pruneShards(ctx, js, StreamChanges, transformerPrefix, cfg.ChangeShards),
		pruneShards(ctx, js, StreamIntents, writerPrefix, cfg.IntentShards))
}

// pruneShards deletes idle shard consumers numbered n or more.
func pruneShards(ctx context.Context, js jetstream.JetStream, stream, prefix string, n int) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("natsx: prune %s: %w", stream, err)
	}
	names := s.ConsumerNames(ctx)
	var stale []string
	for name := range names.Name() {
		k, err := strconv.Atoi(strings.TrimPrefix(name, prefix))
		if strings.HasPrefix(name, prefix) && err == nil && k >= n {
			stale = append(stale, name)
		}
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("natsx: list consumers of %s: %w", stream, err)
	}
	var errs []error
	for _, name := range stale {
		c, err := s.Consumer(ctx, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("natsx: prune %s/%s: %w", stream, name, err))
			continue
		}
		info, err := c.Info(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("natsx: prune %s/%s: %w", stream, name, err))
			continue
		}
		if info.NumPending+uint64(info.NumAckPending) > 0 {
			errs = append(errs, fmt.Errorf("natsx: shard consumer %s/%s beyond %d shards still holds %d messages: drain before shrinking",
				stream, name, n, info.NumPending+uint64(info.NumAckPending)))
			continue
		}
		if err := s.DeleteConsumer(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("natsx: delete %s/%s: %w", stream, name, err))
		}
	}
	return errors.Join(errs...)
}
