package natsx

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/xtsync/xtsync/pkg/secret"
)

// TLSConfig names PEM files for a TLS (and optionally mutual TLS) connection.
type TLSConfig struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Config is how a service connects to NATS.
type Config struct {
	// URL is a comma-separated list of nats:// or tls:// server URLs.
	URL string `yaml:"url"`
	// Name shows up in the server's connection list (service and pod).
	Name string `yaml:"name"`
	// At most one of CredsFile (JWT + nkey seed), NKeyFile (seed) or Token.
	CredsFile string        `yaml:"creds_file"`
	NKeyFile  string        `yaml:"nkey_file"`
	Token     secret.Secret `yaml:"token"`
	TLS       TLSConfig     `yaml:"tls"`
	// ConnectTimeout bounds the first connection.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// ReconnectWait is the pause between reconnect attempts.
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
	// MaxReconnects; -1 (the default) retries forever: a service must ride
	// out a NATS rollout, not exit.
	MaxReconnects int `yaml:"max_reconnects"`
}

// RegisterFlags registers the connection flags under prefix (e.g. "nats.").
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	f.StringVar(&c.URL, prefix+"url", "nats://127.0.0.1:4222", "NATS server URLs, comma-separated.")
	f.StringVar(&c.Name, prefix+"name", "xtsync", "Connection name shown by the server.")
	f.StringVar(&c.CredsFile, prefix+"creds-file", "", "NATS credentials file (JWT and nkey seed).")
	f.StringVar(&c.NKeyFile, prefix+"nkey-file", "", "NKey seed file.")
	f.Var(secret.Flag(&c.Token), prefix+"token", "Authentication token (prefer a creds file).")
	f.StringVar(&c.TLS.CAFile, prefix+"tls.ca-file", "", "CA bundle to verify the server.")
	f.StringVar(&c.TLS.CertFile, prefix+"tls.cert-file", "", "Client certificate for mutual TLS.")
	f.StringVar(&c.TLS.KeyFile, prefix+"tls.key-file", "", "Client key for mutual TLS.")
	f.DurationVar(&c.ConnectTimeout, prefix+"connect-timeout", 5*time.Second, "Timeout of the first connection.")
	f.DurationVar(&c.ReconnectWait, prefix+"reconnect-wait", 2*time.Second, "Pause between reconnect attempts.")
	f.IntVar(&c.MaxReconnects, prefix+"max-reconnects", -1, "Reconnect attempts before giving up (-1 = forever).")
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.URL) == "" {
		errs = append(errs, errors.New("url is required"))
	}
	auth := 0
	for _, set := range []bool{c.CredsFile != "", c.NKeyFile != "", c.Token != ""} {
		if set {
			auth++
		}
	}
	if auth > 1 {
		errs = append(errs, errors.New("set at most one of creds file, nkey file and token"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls cert file and key file go together"))
	}
	if c.ReconnectWait < 0 || c.ConnectTimeout < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	if c.MaxReconnects < -1 {
		errs = append(errs, fmt.Errorf("max reconnects %d: use -1 for forever", c.MaxReconnects))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("natsx: config: %w", err)
	}
	return nil
}
