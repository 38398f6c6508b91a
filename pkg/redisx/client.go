package redisx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
)

// NewClient validates cfg and returns a client whose commands are traced
// (when cfg.Tracing) with tp, or the global provider when tp is nil. It does
// not dial: go-redis connects lazily, and readiness pings separately.
func NewClient(cfg Config, tp trace.TracerProvider) (*redis.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.TLS.build(cfg.Addr)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Username: cfg.Username, Password: cfg.Password.Reveal(),
		DB: cfg.DB, PoolSize: cfg.PoolSize, TLSConfig: tlsCfg,
	})
	if cfg.Tracing {
		var opts []redisotel.TracingOption
		if tp != nil {
			opts = append(opts, redisotel.WithTracerProvider(tp))
		}
		// Statements may carry ids but never credentials (AUTH is not
		// traced by redisotel); values stay out: we keep the default.
		if err := redisotel.InstrumentTracing(c, opts...); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("instrument redis tracing: %w", err)
		}
	}
	return c, nil
}

func (t TLSConfig) build(addr string) (*tls.Config, error) {
	if !t.on() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if c.ServerName == "" {
		c.ServerName, _, _ = net.SplitHostPort(addr)
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read redis CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: redis CA file %s holds no PEM certificate", ErrInvalid, t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load redis client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
