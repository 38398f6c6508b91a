package natsx_test

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
)

// TestComposeNATSConfig parses the compose deployment's nats.conf with the
// real server's parser, since no Docker engine runs in CI to try it.
func TestComposeNATSConfig(t *testing.T) {
	t.Parallel()
	opts, err := server.ProcessConfigFile("../../deploy/compose/nats.conf")
	require.NoError(t, err)
	require.True(t, opts.JetStream)
	require.True(t, opts.SyncAlways, "acknowledged messages must be fsynced (sync_interval: always)")
	require.Equal(t, "/data", opts.StoreDir)
	require.Equal(t, 8222, opts.HTTPPort)
}
