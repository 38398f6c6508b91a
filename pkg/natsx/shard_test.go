package natsx_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestShardOfIsAFixedContract(t *testing.T) {
	t.Parallel()
	// Producers and consumers in different versions must agree: these
	// values may never change.
	tests := []struct {
		id     string
		shards int
		want   int
	}{
		{"0b4a3c5e-6f0d-4f7e-9d2a-1c3b5a7e9f01", 16, 5},
		{"0B4A3C5E-6F0D-4F7E-9D2A-1C3B5A7E9F01", 16, 5}, // case-insensitive
		{"0b4a3c5e-6f0d-4f7e-9d2a-1c3b5a7e9f01", 7, 5},
		{"user-1", 16, 4},
		{"user-1", 7, 6},
		{"user-1", 1, 0},
		{"user-1", 0, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.id, "/", tt.shards), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, natsx.ShardOf(tt.id, tt.shards))
		})
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		build   func() (string, error)
		want    string
		wantErr bool
	}{
		{"change", func() (string, error) { return natsx.ChangeSubject("cfg1", "user-1", 16) }, "xtsync.changes.cfg1.4", false},
		{"intent", func() (string, error) { return natsx.IntentSubject("tenant-b", "cfg1", "user-1", 7) }, "xtsync.intents.tenant-b.cfg1.6", false},
		{"cycle", func() (string, error) { return natsx.CycleSubject("cfg1", natsx.CycleVerbStart) }, "xtsync.cycles.cfg1.start", false},
		{"outcome", func() (string, error) { return natsx.OutcomeSubject("cfg1") }, "xtsync.outcomes.cfg1", false},
		{"log", func() (string, error) { return natsx.LogSubject("cfg1", "c9") }, "xtsync.logs.cfg1.c9", false},
		{"log filter", func() (string, error) { return natsx.LogFilter("cfg1", "") }, "xtsync.logs.cfg1.>", false},
		{"dot in id", func() (string, error) { return natsx.ChangeSubject("cfg.1", "u", 4) }, "", true},
		{"wildcard", func() (string, error) { return natsx.OutcomeSubject("*") }, "", true},
		{"space", func() (string, error) { return natsx.LogSubject("cfg1", "a b") }, "", true},
		{"empty", func() (string, error) { return natsx.IntentSubject("", "cfg1", "u", 4) }, "", true},
		{"too long", func() (string, error) { return natsx.OutcomeSubject(strings.Repeat("a", 129)) }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.build()
			if tt.wantErr {
				require.ErrorIs(t, err, natsx.ErrInvalidToken)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestShardConsumersSeePerObjectOrder publishes interleaved versions of many
// objects; each shard consumer (handlers running 4 at a time) sees only its
// objects, and every object's versions in order.
func TestShardConsumersSeePerObjectOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *natsx.TopologyConfig) { c.ChangeShards = 3 })
	ctx := ctxT(t)
	const objects, versions = 24, 8
	p := e.publisher(natsx.PublisherOptions{Window: 64})
	for v := range versions {
		for o := range objects {
			obj := fmt.Sprint("obj-", o)
			subj, err := natsx.ChangeSubject("cfg1", obj, e.cfg.ChangeShards)
			require.NoError(t, err)
			require.NoError(t, p.Publish(ctx, subj, &eventsv1.SourceChange{ConfigurationId: "cfg1", CycleId: strconv.Itoa(v)},
				fmt.Sprint(obj, "@", v), natsx.WithOrderKey(obj)))
		}
	}
	require.NoError(t, p.WaitAll(ctx))

	var (
		mu    sync.Mutex
		seen  = map[string][]int{} // object -> versions in handling order
		shard = map[string]int{}   // object -> shard consumer that saw it
		total int
	)
	for k := range e.cfg.ChangeShards {
		runConsume(t, e.consumer(natsx.StreamChanges, natsx.TransformerConsumer(k)), func(_ context.Context, m *natsx.Msg) error {
			var sc eventsv1.SourceChange
			if err := m.Unmarshal(&sc); err != nil {
				return err
			}
			v, _ := strconv.Atoi(sc.GetCycleId())
			time.Sleep(time.Duration(v%3) * time.Millisecond) // uneven handler times
			mu.Lock()
			defer mu.Unlock()
			obj := m.OrderKey()
			seen[obj] = append(seen[obj], v)
			if prev, ok := shard[obj]; ok {
				assert.Equal(t, prev, k, "one object, one shard")
			}
			shard[obj] = k
			total++
			return nil
		}, natsx.ConsumeOptions{Batch: 32, Concurrency: 4})
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return total == objects*versions }, 20*time.Second, 10*time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	for obj, vs := range seen {
		require.Len(t, vs, versions, obj)
		for i := range vs {
			require.Equal(t, i, vs[i], "versions of %s out of order: %v", obj, vs)
		}
		require.Equal(t, natsx.ShardOf(obj, e.cfg.ChangeShards), shard[obj])
	}
}
