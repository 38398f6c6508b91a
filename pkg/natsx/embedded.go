// Package natsx holds the JetStream plumbing shared by the services: the
// embedded server used by `-target=all` and by tests, and the stream and
// consumer definitions as code.
package natsx

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures an in-process nats-server with JetStream. It is
// the real server, not a mock: tests and the all-in-one process use it.
type EmbeddedConfig struct {
	// Host defaults to 127.0.0.1: the embedded default never listens beyond loopback.
	Host string
	// Port 0 (the default) picks a free port; -1 disables the TCP listener.
	Port int
	// StoreDir is the JetStream file store; required (use t.TempDir() in tests).
	StoreDir string
	// SyncAlways fsyncs every write before acknowledging it. JetStream's
	// default (fsync every 2 minutes) can lose acknowledged writes on power
	// failure; deployments that care set this.
	SyncAlways bool
	// ServerName names the server in logs and monitoring.
	ServerName string
	// ReadyTimeout bounds the wait for the server to accept connections.
	ReadyTimeout time.Duration
	// MaxPayload is the largest message the server accepts; 0 is
	// nats-server's default (1 MB). Tests lower it to reach the limit
	// with small data.
	MaxPayload int32
	// MaxStore is JetStream's file-store limit; 0 is 1 TiB. The streams'
	// own caps (TopologyConfig.WorkMaxBytes, LogMaxBytes) bound what is
	// stored; nats-server's default (75% of the disk's free space at start)
	// would refuse their reservations (16 GiB by default) on a fuller disk.
	MaxStore int64
}

// embeddedMaxMemory bounds memory-backed JetStream assets (only the log
// service's ephemeral list consumers).
const embeddedMaxMemory = 256 << 20

// Embedded is a running in-process nats-server.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts nats-server with JetStream in this process and waits
// until it accepts connections.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsx: embedded server: StoreDir is required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = server.RANDOM_PORT
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "xtsync-embedded"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	if cfg.MaxStore == 0 {
		cfg.MaxStore = server.JetStreamMaxStoreDefault
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: cfg.MaxPayload,
		// Both limits set, or nats-server derives both (the store from the
		// free disk). Every stream is a file stream.
		JetStreamMaxStore:  cfg.MaxStore,
		JetStreamMaxMemory: embeddedMaxMemory,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsx: new embedded server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(cfg.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsx: embedded server not ready after %s", cfg.ReadyTimeout)
	}
	return &Embedded{srv: srv}, nil
}

// ClientURL is the nats:// URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Shutdown stops the server and waits for it to finish.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
