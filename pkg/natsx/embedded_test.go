package natsx_test

import (
	"context"
	"syscall"
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
		js := jetStreamAt(t, srvURL)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage})
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
	js := jetStreamAt(t, e2.ClientURL())
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

// A stream's MaxBytes is reserved against JetStream's store limit at
// creation: the embedded server's limit does not depend on the disk's free
// space, so the default topology starts on a fuller disk; an explicit
// MaxStore still refuses what exceeds it.
func TestEmbeddedStoreLimitIsNotTheFreeDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var fs syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &fs))
	beyondDisk := int64(fs.Bavail) * int64(fs.Bsize) * 2 // more than nats-server's 75% of it
	for _, tc := range []struct {
		name     string
		maxStore int64
		refused  bool
	}{
		{"default", 0, false},
		{"explicit limit below the stream", beyondDisk / 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir(), MaxStore: tc.maxStore})
			require.NoError(t, err)
			defer e.Shutdown()
			js := jetStreamAt(t, e.ClientURL())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "BIG", Subjects: []string{"big.>"},
				Storage: jetstream.FileStorage, MaxBytes: beyondDisk})
			if tc.refused {
				require.ErrorContains(t, err, "insufficient storage resources")
				return
			}
			require.NoError(t, err)
		})
	}
}

// jetStreamAt connects to the server at url; the connection closes with
// the test.
func jetStreamAt(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}
