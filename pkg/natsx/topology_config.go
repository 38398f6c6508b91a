package natsx

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// ConsumerTuning is the redelivery and flow-control policy of one kind of
// durable consumer.
type ConsumerTuning struct {
	// AckWait is how long a delivered message may stay unacknowledged before
	// JetStream redelivers it (the crash case). Long handlers call
	// Msg.InProgress to extend it.
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxDeliver bounds deliveries; the last failed one goes to the
	// dead-letter hook. -1 means unbounded.
	MaxDeliver int `yaml:"max_deliver"`
	// BackOff, when set, replaces AckWait per delivery (JetStream uses
	// BackOff[n-1] as the ack wait of delivery n), so BackOff[0] must be
	// longer than the slowest handler. Explicit naks use the runner's delay.
	BackOff []time.Duration `yaml:"backoff"`
	// MaxAckPending bounds delivered-but-unacknowledged messages: flow
	// control between JetStream and all replicas of the consumer.
	MaxAckPending int `yaml:"max_ack_pending"`
}

func (c *ConsumerTuning) registerFlags(prefix string, f *flag.FlagSet, def ConsumerTuning) {
	*c = def
	f.DurationVar(&c.AckWait, prefix+"ack-wait", def.AckWait, "Redeliver a message not acknowledged within this time.")
	f.IntVar(&c.MaxDeliver, prefix+"max-deliver", def.MaxDeliver, "Deliveries before a message goes to the dead-letter hook (-1 = unbounded).")
	f.Var((*durationList)(&c.BackOff), prefix+"backoff", "Comma-separated ack waits per delivery (e.g. 30s,1m,5m); overrides ack-wait.")
	f.IntVar(&c.MaxAckPending, prefix+"max-ack-pending", def.MaxAckPending, "Delivered but unacknowledged messages allowed at once.")
}

func (c ConsumerTuning) validate(name string) error {
	var errs []error
	if c.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("%s: ack wait %s is under 1s", name, c.AckWait))
	}
	if c.MaxDeliver == 0 || c.MaxDeliver < -1 {
		errs = append(errs, fmt.Errorf("%s: max deliver %d must be -1 or positive", name, c.MaxDeliver))
	}
	if len(c.BackOff) > 0 {
		if c.MaxDeliver != -1 && c.MaxDeliver <= len(c.BackOff) {
			errs = append(errs, fmt.Errorf("%s: max deliver %d must exceed the %d backoff steps", name, c.MaxDeliver, len(c.BackOff)))
		}
		for _, d := range c.BackOff {
			if d < time.Second {
				errs = append(errs, fmt.Errorf("%s: backoff step %s is under 1s", name, d))
				break
			}
		}
	}
	if c.MaxAckPending < 1 {
		errs = append(errs, fmt.Errorf("%s: max ack pending %d must be positive", name, c.MaxAckPending))
	}
	return errors.Join(errs...)
}

// TopologyConfig sizes the streams and consumers EnsureTopology creates.
type TopologyConfig struct {
	// Replicas of every stream and consumer: 1 embedded, 3 in a cluster.
	Replicas int `yaml:"replicas"`
	// ChangeShards splits XTSYNC_CHANGES into per-shard consumers; it bounds
	// how many transformers can work in parallel with per-object order.
	ChangeShards int `yaml:"change_shards"`
	// IntentShards splits XTSYNC_INTENTS the same way for writers.
	IntentShards int `yaml:"intent_shards"`
	// DuplicateWindow is how long JetStream remembers Nats-Msg-Id values. It
	// must cover a reader's crash-and-replay of a page (minutes); longer costs
	// server memory (one entry per message id).
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// MaxMsgSize rejects oversized payloads at publish time (readers split
	// large group memberships into several changes).
	MaxMsgSize int32 `yaml:"max_msg_size"`
	// WorkMaxBytes caps each work stream; when full, publishes fail (discard
	// new) so the producer stops and keeps its watermark: back-pressure
	// instead of loss.
	WorkMaxBytes int64 `yaml:"work_max_bytes"`
	// CycleMaxAge drops cycle commands nobody took: the scheduler re-issues.
	CycleMaxAge time.Duration `yaml:"cycle_max_age"`
	// LogMaxAge keeps provisioning logs this long (Entra keeps 30 days).
	LogMaxAge time.Duration `yaml:"log_max_age"`
	// LogMaxBytes caps the log stream; the oldest entries go first.
	LogMaxBytes int64 `yaml:"log_max_bytes"`
	// PinnedTTL, when > 0, pins each shard consumer to one client at a time
	// (JetStream priority group, pinned_client policy): many transformer or
	// writer replicas can pull every shard and still keep per-object order,
	// because only the pinned one gets messages. A crashed pinned client is
	// replaced after PinnedTTL without pulls (the shard waits that long); a
	// draining one unpins at once. Off (0) by default: then run one replica
	// per shard consumer (e.g. shard k on replica k mod replicas).
	PinnedTTL time.Duration `yaml:"pinned_ttl"`

	Cycles      ConsumerTuning `yaml:"cycles"`
	Transformer ConsumerTuning `yaml:"transformer"`
	Writer      ConsumerTuning `yaml:"writer"`
	Synclog     ConsumerTuning `yaml:"synclog"`
}

// DefaultTopologyConfig is the embedded, single-server default.
func DefaultTopologyConfig() TopologyConfig {
	return TopologyConfig{
		Replicas:        1,
		ChangeShards:    16,
		IntentShards:    16,
		DuplicateWindow: time.Hour,
		MaxMsgSize:      1 << 20,
		WorkMaxBytes:    2 << 30,
		CycleMaxAge:     24 * time.Hour,
		LogMaxAge:       30 * 24 * time.Hour,
		LogMaxBytes:     8 << 30,
		Cycles:          ConsumerTuning{AckWait: time.Minute, MaxDeliver: 5, MaxAckPending: 64},
		Transformer:     ConsumerTuning{AckWait: 30 * time.Second, MaxDeliver: 10, MaxAckPending: 512},
		Writer:          ConsumerTuning{AckWait: 2 * time.Minute, MaxDeliver: 20, MaxAckPending: 1000},
		Synclog:         ConsumerTuning{AckWait: 30 * time.Second, MaxDeliver: 10, MaxAckPending: 1000},
	}
}

// RegisterFlags registers the topology flags under prefix (e.g. "nats.topology.")
// with DefaultTopologyConfig values.
func (c *TopologyConfig) RegisterFlags(prefix string, f *flag.FlagSet) {
	d := DefaultTopologyConfig()
	*c = d
	f.IntVar(&c.Replicas, prefix+"replicas", d.Replicas, "Replicas of every stream and consumer (1 embedded, 3 clustered).")
	f.IntVar(&c.ChangeShards, prefix+"change-shards", d.ChangeShards, "Shards of the change stream (transformer parallelism with per-object order).")
	f.IntVar(&c.IntentShards, prefix+"intent-shards", d.IntentShards, "Shards of the intent stream (writer parallelism with per-object order).")
	f.DurationVar(&c.DuplicateWindow, prefix+"duplicate-window", d.DuplicateWindow, "How long JetStream de-duplicates message ids (2m..24h).")
	f.Func(prefix+"max-msg-size", "Largest payload accepted, bytes.", func(s string) error {
		var v int32
		_, err := fmt.Sscan(s, &v)
		c.MaxMsgSize = v
		return err
	})
	f.Int64Var(&c.WorkMaxBytes, prefix+"work-max-bytes", d.WorkMaxBytes, "Cap of each work stream; full means publishes fail (back-pressure).")
	f.DurationVar(&c.CycleMaxAge, prefix+"cycle-max-age", d.CycleMaxAge, "Drop cycle commands older than this.")
	f.DurationVar(&c.LogMaxAge, prefix+"log-max-age", d.LogMaxAge, "Keep provisioning logs this long.")
	f.Int64Var(&c.LogMaxBytes, prefix+"log-max-bytes", d.LogMaxBytes, "Cap of the provisioning-log stream; oldest entries go first.")
	f.DurationVar(&c.PinnedTTL, prefix+"pinned-ttl", d.PinnedTTL, "Pin each shard consumer to one client; re-pin after this long without pulls (0 = no pinning).")
	c.Cycles.registerFlags(prefix+"cycles.", f, d.Cycles)
	c.Transformer.registerFlags(prefix+"transformer.", f, d.Transformer)
	c.Writer.registerFlags(prefix+"writer.", f, d.Writer)
	c.Synclog.registerFlags(prefix+"synclog.", f, d.Synclog)
}

// Validate reports every invalid setting at once.
func (c TopologyConfig) Validate() error {
	var errs []error
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas %d not in 1..5", c.Replicas))
	}
	if c.ChangeShards < 1 || c.ChangeShards > 1024 {
		errs = append(errs, fmt.Errorf("change shards %d not in 1..1024", c.ChangeShards))
	}
	if c.IntentShards < 1 || c.IntentShards > 1024 {
		errs = append(errs, fmt.Errorf("intent shards %d not in 1..1024", c.IntentShards))
	}
	if c.DuplicateWindow < 2*time.Minute || c.DuplicateWindow > 24*time.Hour {
		errs = append(errs, fmt.Errorf("duplicate window %s not in 2m..24h", c.DuplicateWindow))
	}
	if c.CycleMaxAge < c.DuplicateWindow {
		errs = append(errs, fmt.Errorf("cycle max age %s is shorter than the duplicate window %s", c.CycleMaxAge, c.DuplicateWindow))
	}
	if c.LogMaxAge < c.DuplicateWindow {
		errs = append(errs, fmt.Errorf("log max age %s is shorter than the duplicate window %s", c.LogMaxAge, c.DuplicateWindow))
	}
	if c.PinnedTTL != 0 && c.PinnedTTL < time.Second {
		errs = append(errs, fmt.Errorf("pinned ttl %s: 0 (off) or at least 1s", c.PinnedTTL))
	}
	if c.MaxMsgSize < 1024 {
		errs = append(errs, fmt.Errorf("max msg size %d under 1 KiB", c.MaxMsgSize))
	}
	if c.WorkMaxBytes < 1<<20 || c.LogMaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("work/log max bytes %d/%d under 1 MiB", c.WorkMaxBytes, c.LogMaxBytes))
	}
	errs = append(errs,
		c.Cycles.validate("cycles"),
		c.Transformer.validate("transformer"),
		c.Writer.validate("writer"),
		c.Synclog.validate("synclog"))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("natsx: topology config: %w", err)
	}
	return nil
}

// durationList is a flag.Value of comma-separated durations.
type durationList []time.Duration

func (d *durationList) String() string {
	if d == nil {
		return ""
	}
	parts := make([]string, len(*d))
	for i, v := range *d {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}

func (d *durationList) Set(s string) error {
	*d = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := time.ParseDuration(p)
		if err != nil {
			return fmt.Errorf("parse backoff %q: %w", p, err)
		}
		*d = append(*d, v)
	}
	return nil
}
