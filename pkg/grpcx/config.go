package grpcx

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"time"
)

// Config is the process's gRPC server.
type Config struct {
	// ListenAddr is host:port; the default listens on loopback only.
	ListenAddr string `yaml:"listen_addr"`
	// TokensFile lists callers by token hash (see the package doc).
	TokensFile string `yaml:"tokens_file"`
	// NoAuth makes every caller an anonymous admin. Refused unless
	// ListenAddr is a loopback address: for the all-in-one on a laptop.
	NoAuth bool `yaml:"no_auth"`
	// TLSCertFile and TLSKeyFile serve TLS; without them the server is
	// plaintext, which Validate allows only on loopback.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// ShutdownTimeout bounds GracefulStop; calls still running after it
	// are cancelled.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxRecvBytes bounds one request message.
	MaxRecvBytes int `yaml:"max_recv_bytes"`
}

// RegisterFlags registers the server flags under prefix (e.g. "grpc.").
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	f.StringVar(&c.ListenAddr, prefix+"listen-addr", "127.0.0.1:9095", "gRPC listen address (host:port).")
	f.StringVar(&c.TokensFile, prefix+"tokens-file", "", "YAML/JSON file of callers: name, sha256 of the bearer token, tenants.")
	f.BoolVar(&c.NoAuth, prefix+"no-auth", false, "Every caller is an anonymous admin (loopback listen address only).")
	f.StringVar(&c.TLSCertFile, prefix+"tls.cert-file", "", "Server certificate (PEM); plaintext only on loopback without it.")
	f.StringVar(&c.TLSKeyFile, prefix+"tls.key-file", "", "Server key (PEM).")
	f.DurationVar(&c.ShutdownTimeout, prefix+"shutdown-timeout", 20*time.Second, "Bound on the graceful stop.")
	f.IntVar(&c.MaxRecvBytes, prefix+"max-recv-bytes", 8<<20, "Largest request message, bytes.")
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.ListenAddr)
	if err != nil {
		errs = append(errs, fmt.Errorf("listen addr %q: %w", c.ListenAddr, err))
	}
	loopback := IsLoopback(host)
	switch {
	case c.NoAuth && c.TokensFile != "":
		errs = append(errs, errors.New("no-auth and a tokens file exclude each other"))
	case c.NoAuth && !loopback:
		errs = append(errs, fmt.Errorf("no-auth needs a loopback listen address, not %q", c.ListenAddr))
	case !c.NoAuth && c.TokensFile == "":
		errs = append(errs, errors.New("a tokens file is required (or no-auth on loopback)"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("tls cert file and key file go together"))
	}
	if c.TLSCertFile == "" && !loopback && err == nil {
		errs = append(errs, fmt.Errorf("plaintext gRPC on %q: bearer tokens would cross the network in clear; set TLS or listen on loopback", c.ListenAddr))
	}
	if c.ShutdownTimeout < 0 || c.MaxRecvBytes < 0 {
		errs = append(errs, errors.New("shutdown timeout and max recv bytes must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("grpcx: config: %w", err)
	}
	return nil
}

// IsLoopback reports a host that never leaves the machine: "localhost" or
// a loopback IP. An empty host (all interfaces) is not loopback.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
