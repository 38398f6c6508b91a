package natsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/natsx"
)

func TestEmbeddedJetStreamPersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	publish := func(srvURL string) {
		nc, err := nats.Connect(srvURL)
		require.NoError(t, err)
		defer nc.Close()
		js, err := jetstream.New(nc)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage})
		require.NoError(t, err)
		_, err = js.Publish(ctx, "t.a", []byte("hello"), jetstream.WithMsgID("m1"))
		require.NoError(t, err)
		// The same message id is deduplicated, not stored twice.
		ack, err := js.Publish(ctx, "t.a", []byte("hello"), jetstream.WithMsgID("m1"))
		require.NoError(t, err)
		require.True(t, ack.Duplicate)
	}

	e, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: dir, SyncAlways: true})
	require.NoError(t, err)
	publish(e.ClientURL())
	e.Shutdown()

	e2, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: dir})
	require.NoError(t, err)
	defer e2.Shutdown()
	nc, err := nats.Connect(e2.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "T")
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), info.State.Msgs)
}

func TestStartEmbeddedRequiresStoreDir(t *testing.T) {
	t.Parallel()
	_, err := natsx.StartEmbedded(natsx.EmbeddedConfig{})
	require.ErrorContains(t, err, "StoreDir")
}
