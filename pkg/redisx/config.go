package redisx

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/xtsync/xtsync/pkg/secret"
)

// TLSConfig enables TLS when Enabled or any file is set; CertFile and
// KeyFile together give mutual TLS.
type TLSConfig struct {
	Enabled    bool   `yaml:"enabled"`
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"`
}

func (t TLSConfig) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != ""
}

// Config is how a service connects to Redis.
type Config struct {
	Addr     string        `yaml:"addr"`
	Username string        `yaml:"username"`
	Password secret.Secret `yaml:"password"`
	DB       int           `yaml:"db"`
	TLS      TLSConfig     `yaml:"tls"`
	// PoolSize is connections per client; 0 is go-redis' 10 per CPU.
	PoolSize int `yaml:"pool_size"`
	// Tracing adds a redisotel span per command (on by default).
	Tracing bool `yaml:"tracing"`
}

// RegisterFlags registers the connection flags under prefix (e.g. "redis.").
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	f.StringVar(&c.Addr, prefix+"addr", "127.0.0.1:6379", "Redis server host:port.")
	f.StringVar(&c.Username, prefix+"username", "", "Redis ACL user name.")
	f.Var(secret.Flag(&c.Password), prefix+"password", "Redis password (logged as REDACTED).")
	f.IntVar(&c.DB, prefix+"db", 0, "Redis logical database; must be 0 with Redis Cluster.")
	f.BoolVar(&c.TLS.Enabled, prefix+"tls.enabled", false, "Connect with TLS using the system roots.")
	f.StringVar(&c.TLS.CAFile, prefix+"tls.ca-file", "", "PEM file of CAs to trust (implies TLS).")
	f.StringVar(&c.TLS.CertFile, prefix+"tls.cert-file", "", "PEM client certificate for mutual TLS.")
	f.StringVar(&c.TLS.KeyFile, prefix+"tls.key-file", "", "PEM client key for mutual TLS.")
	f.StringVar(&c.TLS.ServerName, prefix+"tls.server-name", "", "Expected server name (default: the host of addr).")
	f.IntVar(&c.PoolSize, prefix+"pool-size", 0, "Connections per client (0: 10 per CPU).")
	f.BoolVar(&c.Tracing, prefix+"tracing", true, "Trace Redis commands with OpenTelemetry.")
}

// Validate reports every problem at once, each naming its field.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("redis.addr %q: %w", c.Addr, err))
	}
	if c.DB < 0 || c.DB > 15 {
		errs = append(errs, fmt.Errorf("redis.db %d: want 0..15", c.DB))
	}
	if c.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("redis.pool_size %d: want >= 0", c.PoolSize))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, errors.New("redis.username set without redis.password"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("redis.tls: cert_file and key_file go together"))
	}
	for field, path := range map[string]string{"ca_file": c.TLS.CAFile, "cert_file": c.TLS.CertFile, "key_file": c.TLS.KeyFile} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("redis.tls.%s: %w", field, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
