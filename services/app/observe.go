package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/scheduler"
)

// gauges is the last poll of what is measured by asking NATS and Redis:
// queue lag per consumer, escrows per configuration, quarantines. A poll
// on a ticker, not per scrape, bounds the load whatever scrapes us.
type gauges struct {
	mu          sync.Mutex
	lag         map[[2]string]natsx.Lag // stream, consumer
	escrows     map[string]int64        // configuration id
	quarantined map[string]int64        // reason
	polled      bool
}

// consumersOf lists the durable consumers this process's targets consume:
// each process reports its own queues, so a writer's lag is on the
// writer's /metrics, one series per shard, whatever the replica count.
func (a *App) consumersOf(targets map[string]bool) []natsx.ConsumerSpec {
	var out []natsx.ConsumerSpec
	for _, spec := range natsx.Consumers(a.cfg.Topology) {
		name := spec.Config.Durable
		svc, _, _ := strings.Cut(name, "-")
		if !targets[svc] {
			continue
		}
		if svc == ModWriter && !slices.ContainsFunc(a.cfg.Writer.Shards, func(k int) bool { return natsx.WriterConsumer(k) == name }) {
			continue
		}
		out = append(out, spec)
	}
	return out
}

func (a *App) initObserve(ctx context.Context) (Service, error) {
	targets := map[string]bool{}
	order, err := a.reg.Resolve(strings.Split(a.obs.service, ","))
	if err != nil {
		return nil, err
	}
	for _, m := range order {
		targets[m] = a.reg.modules[m].Target
	}
	specs := a.consumersOf(targets)
	// The configuration-wide gauges come from the processes that own
	// escrow and quarantine (every replica reports the same: use max).
	perConfig := targets[ModScheduler] || targets[ModSynclog]
	g := &gauges{}
	m := a.meterProvider().Meter(meterName)
	pending, e1 := m.Int64ObservableGauge("xtsync.jetstream.consumer.pending", metric.WithUnit("{message}"),
		metric.WithDescription("Messages of a durable consumer not yet delivered (queue lag), by stream and consumer."))
	ackPending, e2 := m.Int64ObservableGauge("xtsync.jetstream.consumer.ack_pending", metric.WithUnit("{message}"),
		metric.WithDescription("Messages delivered and not yet acknowledged (in flight), by stream and consumer."))
	escrowed, e3 := m.Int64ObservableGauge("xtsync.escrow.objects", metric.WithUnit("{object}"),
		metric.WithDescription("Objects in escrow (failed, retried next cycle), by configuration."))
	quarantined, e4 := m.Int64ObservableGauge("xtsync.quarantine.configurations", metric.WithUnit("{configuration}"),
		metric.WithDescription("Configurations in quarantine, by reason."))
	if err := errors.Join(e1, e2, e3, e4); err != nil {
		return nil, err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		for k, l := range g.lag {
			attrs := metric.WithAttributes(attribute.String("stream", k[0]), attribute.String("consumer", k[1]))
			o.ObserveInt64(pending, int64(l.Pending), attrs)
			o.ObserveInt64(ackPending, int64(l.AckPending), attrs)
		}
		for cfg, n := range g.escrows {
			o.ObserveInt64(escrowed, n, metric.WithAttributes(attribute.String("configuration_id", cfg)))
		}
		if perConfig && g.polled {
			var total int64
			for reason, n := range g.quarantined {
				total += n
				o.ObserveInt64(quarantined, n, metric.WithAttributes(attribute.String("reason", reason)))
			}
			if total == 0 {
				// A zero series, so alerts see "none" rather than "unknown".
				o.ObserveInt64(quarantined, 0, metric.WithAttributes(attribute.String("reason", "")))
			}
		}
		return nil
	}, pending, ackPending, escrowed, quarantined)
	if err != nil {
		return nil, err
	}
	poll := func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, a.cfg.MetricsPoll)
		defer cancel()
		lag := a.pollLag(ctx, specs)
		var esc, quar map[string]int64
		if perConfig {
			esc, quar = a.pollConfigs(ctx)
		}
		g.mu.Lock()
		g.lag, g.escrows, g.quarantined, g.polled = lag, esc, quar, true
		g.mu.Unlock()
	}
	poll(ctx)
	return ServiceFunc(func(ctx context.Context) error {
		defer func() { _ = reg.Unregister() }()
		t := time.NewTicker(a.cfg.MetricsPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				poll(ctx)
			}
		}
	}), nil
}

// pollLag asks JetStream for each consumer's lag; a consumer that cannot
// be read is left out of this poll (its series goes stale, not to zero).
func (a *App) pollLag(ctx context.Context, specs []natsx.ConsumerSpec) map[[2]string]natsx.Lag {
	out := make(map[[2]string]natsx.Lag, len(specs))
	for _, s := range specs {
		c, err := a.js.Consumer(ctx, s.Stream, s.Config.Durable)
		var l natsx.Lag
		if err == nil {
			l, err = natsx.Pending(ctx, c)
		}
		if err != nil {
			a.log.Debug("consumer lag not read", "stream", s.Stream, "consumer", s.Config.Durable, "err", err)
			continue
		}
		out[[2]string{s.Stream, s.Config.Durable}] = l
	}
	return out
}

// pollConfigs counts escrows per configuration and quarantines by reason.
func (a *App) pollConfigs(ctx context.Context) (escrows, quarantined map[string]int64) {
	ids, err := scheduler.NewStore(a.rdb).IDs(ctx, nil)
	if err != nil {
		a.log.Debug("configurations not listed for metrics", "err", err)
		return nil, nil
	}
	esc := redisx.NewEscrows(a.rdb)
	quar := redisx.NewQuarantines(a.rdb, redisx.DefaultQuarantinePolicy)
	escrows, quarantined = map[string]int64{}, map[string]int64{}
	for _, id := range ids {
		if list, err := esc.List(ctx, id); err == nil {
			escrows[id] = int64(len(list))
		}
		q, err := quar.Get(ctx, id)
		switch {
		case errors.Is(err, redisx.ErrNotFound):
		case err != nil:
			a.log.Debug("quarantine not read for metrics", "configuration_id", id, "err", err)
		default:
			quarantined[q.Reason]++
		}
	}
	return escrows, quarantined
}
