package redisx_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/redisx/storetest"
)

// The decorated stack the services use must pass the same suite.
func TestDecoratedStoresConform(t *testing.T) {
	t.Parallel()
	m, err := redisx.NewMetrics(sdkmetric.NewMeterProvider())
	require.NoError(t, err)
	r := redisx.NewRetry(redisx.RetryPolicy{MaxElapsed: 5 * time.Second})
	storetest.RunAll(t, redisHarness(func(s storetest.Stores) storetest.Stores {
		return storetest.Stores{
			Watermarks:   m.Watermarks(r.Watermarks(s.Watermarks)),
			Connectors:   m.Connectors(r.Connectors(s.Connectors)),
			Escrows:      m.Escrows(r.Escrows(s.Escrows)),
			Quarantines:  m.Quarantines(r.Quarantines(s.Quarantines)),
			Leases:       m.Leases(s.Leases),
			Limiter:      m.Limiter(r.Limiter(s.Limiter)),
			SlowStarting: m.Limiter(r.Limiter(s.SlowStarting)),
		}
	}))
}

func TestMetricsCountOutcomes(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	m, err := redisx.NewMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	require.NoError(t, err)
	c := redistest.Start(t, redistest.Options{}).Client(t)
	w := m.Watermarks(redisx.NewWatermarks(c))
	ctx := t.Context()
	_, err = w.Get(ctx, "cfg", redisx.Users)
	require.ErrorIs(t, err, redisx.ErrNotFound)
	_, err = w.Commit(ctx, "cfg", redisx.Users, 0, redisx.Watermark{DeltaLink: "d"})
	require.NoError(t, err)
	_, err = w.Commit(ctx, "cfg", redisx.Users, 0, redisx.Watermark{DeltaLink: "x"})
	require.ErrorIs(t, err, redisx.ErrConflict)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if sum, ok := mt.Data.(metricdata.Sum[int64]); ok && mt.Name == "xtsync.redis.store.operations" {
				for _, dp := range sum.DataPoints {
					op, _ := dp.Attributes.Value("op")
					out, _ := dp.Attributes.Value("outcome")
					got[op.AsString()+"/"+out.AsString()] += dp.Value
				}
			}
		}
	}
	require.Equal(t, map[string]int64{"get/not_found": 1, "commit/ok": 1, "commit/conflict": 1}, got)
}

// The retry decorator rides out a Redis restart: the server is down when
// the call starts and back a moment later.
func TestRetrySurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	c := srv.Client(t)
	ctx := t.Context()
	w := redisx.NewRetry(redisx.RetryPolicy{Initial: 20 * time.Millisecond, MaxElapsed: 10 * time.Second}).
		Watermarks(redisx.NewWatermarks(c))
	_, err := w.Commit(ctx, "cfg", redisx.Users, 0, redisx.Watermark{DeltaLink: "d1"})
	require.NoError(t, err)

	srv.Stop()
	_, err = redisx.NewWatermarks(c).Get(ctx, "cfg", redisx.Users)
	require.Error(t, err)
	require.True(t, redisx.IsTransient(err), "%v", err)

	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(300 * time.Millisecond)
		srv.Restart(t)
	}()
	wm, err := w.Get(ctx, "cfg", redisx.Users)
	<-restarted
	require.NoError(t, err)
	require.Equal(t, "d1", wm.DeltaLink)
}

func TestIsTransient(t *testing.T) {
	t.Parallel()
	for _, err := range []error{nil, redisx.ErrConflict, redisx.ErrNotFound, context.Canceled} {
		require.False(t, redisx.IsTransient(err), "%v", err)
	}
}
