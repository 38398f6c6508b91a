package app

import (
	"context"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/services/reader"
	"github.com/xtsync/xtsync/services/scheduler"
	"github.com/xtsync/xtsync/services/synclog"
	"github.com/xtsync/xtsync/services/transformer"
	"github.com/xtsync/xtsync/services/writer"
)

// The five targets. Each builds its service from the shared modules (the
// same constructors a one-service deployment uses) and returns it; the
// Runner runs it and cancels it at stop.

func (a *App) initScheduler(context.Context) (Service, error) {
	// A query-only log service (never Run) lets ProvisionOnDemand return
	// the outcomes, whichever process runs the log service.
	logs, err := synclog.New(a.cfg.Synclog, a.synclogDeps())
	if err != nil {
		return nil, err
	}
	s, err := scheduler.New(a.cfg.Scheduler, scheduler.Deps{
		Redis: a.rdb, JetStream: a.js,
		Leases:          redisx.NewLeases(a.rdb),
		Quarantines:     redisx.NewQuarantines(a.rdb, redisx.DefaultQuarantinePolicy),
		Watermarks:      redisx.NewWatermarks(a.rdb),
		Escrows:         redisx.NewEscrows(a.rdb),
		Connectors:      redisx.NewConnectors(a.rdb),
		GraphHTTPClient: a.http,
		Logs:            logs,
		Logger:          a.log,
		TracerProvider:  a.tracerProvider(), MeterProvider: a.meterProvider(),
	})
	if err != nil {
		return nil, err
	}
	s.Register(a.grpc)
	return a.servingWhile(schedulerv1.SchedulerService_ServiceDesc.ServiceName, s), nil
}

func (a *App) initReader(context.Context) (Service, error) {
	return reader.New(a.cfg.Reader, reader.Deps{
		Sources: a.configs, JetStream: a.js,
		Watermarks:     redisx.NewWatermarks(a.rdb),
		Revisits:       transformer.NewRevisits(a.rdb),
		Groups:         transformer.NewCycleGroups(a.rdb, a.cfg.Transformer.CycleStateTTL),
		References:     transformer.NewCycleRefs(a.rdb, a.cfg.Transformer.CycleStateTTL),
		Members:        redisx.NewMemberSets(a.rdb),
		Rules:          a.configs,
		Logger:         a.log,
		TracerProvider: a.tracerProvider(), MeterProvider: a.meterProvider(),
	})
}

func (a *App) initTransformer(context.Context) (Service, error) {
	return transformer.New(a.cfg.Transformer, transformer.Deps{
		Rules: a.configs, Connectors: redisx.NewConnectors(a.rdb),
		Redis: a.rdb, JetStream: a.js, Logger: a.log,
		TracerProvider: a.tracerProvider(), MeterProvider: a.meterProvider(),
	})
}

func (a *App) initWriter(context.Context) (Service, error) {
	pub, err := natsx.NewPublisher(a.js, natsx.PublisherOptions{MeterProvider: a.meterProvider()})
	if err != nil {
		return nil, err
	}
	limiter, err := a.meterLimiter(redisx.NewLimiter(a.rdb, a.cfg.Writer.LimitFunc()))
	if err != nil {
		return nil, err
	}
	return writer.New(a.cfg.Writer, writer.Deps{
		Targets: a.configs, Limiter: limiter,
		Connectors: redisx.NewConnectors(a.rdb),
		Members:    redisx.NewMemberSets(a.rdb),
		// Escrows stay with the log service (its README: counted once).
		JetStream: a.js, Publisher: pub, Logger: a.log,
		TracerProvider: a.tracerProvider(), MeterProvider: a.meterProvider(),
	})
}

func (a *App) initSynclog(context.Context) (Service, error) {
	s, err := synclog.New(a.cfg.Synclog, a.synclogDeps())
	if err != nil {
		return nil, err
	}
	synclogv1.RegisterSynclogServiceServer(a.grpc, s)
	a.grpc.SetServing(synclogv1.SynclogService_ServiceDesc.ServiceName, true)
	return a.servingWhile(synclogv1.SynclogService_ServiceDesc.ServiceName, s), nil
}

func (a *App) synclogDeps() synclog.Deps {
	return synclog.Deps{
		JetStream: a.js, Redis: a.rdb,
		Escrows:        redisx.NewEscrows(a.rdb),
		Quarantines:    redisx.NewQuarantines(a.rdb, redisx.DefaultQuarantinePolicy),
		Tenants:        a.configs,
		Auth:           synclog.AuthorizerFunc(grpcx.Authorize),
		Logger:         a.log,
		TracerProvider: a.tracerProvider(), MeterProvider: a.meterProvider(),
	}
}

// servingWhile reports the gRPC service NOT_SERVING as soon as its module
// is asked to stop, before it drains: the grpc module stops last (every
// target depends on it), and load balancers must stop sending first.
func (a *App) servingWhile(name string, svc Service) Service {
	return ServiceFunc(func(ctx context.Context) error {
		stop := context.AfterFunc(ctx, func() { a.grpc.SetServing(name, false) })
		defer stop()
		return svc.Run(ctx)
	})
}
