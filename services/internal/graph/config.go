package graph

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	khttp "github.com/microsoft/kiota-http-go"

	"github.com/xtsync/xtsync/pkg/secret"
)

// Public-cloud defaults, used when a Config leaves the URLs empty.
const (
	DefaultAuthorityURL = "https://login.microsoftonline.com/"
	DefaultGraphURL     = "https://graph.microsoft.com/v1.0"
	DefaultScope        = "https://graph.microsoft.com/.default"
)

// Config says which tenant and app a Client acts as, and where Graph is.
type Config struct {
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// AuthorityURL is the Entra authority host, e.g. graphsim's
	// AuthorityURL(); MSAL requires https.
	AuthorityURL string `yaml:"authority_url"`
	// GraphURL is the service root including the version segment.
	GraphURL string `yaml:"graph_url"`
	// Scopes default to DefaultScope.
	Scopes []string `yaml:"scopes"`
	// HTTPClient supplies the base transport (custom CA for graphsim, proxy);
	// the SDK middleware is layered on top of its Transport.
	HTTPClient *http.Client `yaml:"-"`
	// MaxRetries bounds the SDK retry handler (429, 503, 504); the SDK caps
	// it at 10. 0 means the SDK default of 3; -1 disables retries.
	MaxRetries int `yaml:"max_retries"`
	// RetryDelay is the back-off base when a response has no Retry-After;
	// the SDK works in whole seconds (min 1s).
	RetryDelay time.Duration `yaml:"retry_delay"`
	// Timeout bounds one HTTP exchange including retries; default 100s.
	Timeout time.Duration `yaml:"timeout"`
	// Logger receives retry notices; default discards.
	Logger *slog.Logger `yaml:"-"`
}

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.TenantID == "":
		return errors.New("graph config: tenant_id is required")
	case c.ClientID == "":
		return errors.New("graph config: client_id is required")
	case c.ClientSecret == "":
		return errors.New("graph config: client_secret is required")
	}
	for name, raw := range map[string]string{"authority_url": c.AuthorityURL, "graph_url": c.GraphURL} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("graph config: %s: %w", name, err)
		}
		if u.Scheme != "https" {
			// MSAL refuses non-https authorities and kiota refuses to attach
			// tokens to non-https hosts other than localhost.
			return fmt.Errorf("graph config: %s must be https, got %q", name, raw)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.AuthorityURL == "" {
		c.AuthorityURL = DefaultAuthorityURL
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	// The SDK joins paths to the base URL as "{+baseurl}/users".
	c.GraphURL = strings.TrimSuffix(c.GraphURL, "/")
	if len(c.Scopes) == 0 {
		c.Scopes = []string{DefaultScope}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: khttp.GetDefaultTransport()}
	}
	if c.Timeout == 0 {
		c.Timeout = 100 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// RegisterFlags binds the Config's scalar fields to flags named
// prefix+"tenant-id" etc., for the product's -config.expand-env/flag layer.
func (c *Config) RegisterFlags(prefix string, f *flag.FlagSet) {
	f.StringVar(&c.TenantID, prefix+"tenant-id", c.TenantID, "Entra tenant id (GUID) the app acts in.")
	f.StringVar(&c.ClientID, prefix+"client-id", c.ClientID, "Application (client) id.")
	f.Var(secret.Flag(&c.ClientSecret), prefix+"client-secret", "Client secret; never logged.")
	f.StringVar(&c.AuthorityURL, prefix+"authority-url", c.AuthorityURL, "Entra authority host (https); empty for the public cloud.")
	f.StringVar(&c.GraphURL, prefix+"graph-url", c.GraphURL, "Graph service root with version (https); empty for the public cloud.")
	f.IntVar(&c.MaxRetries, prefix+"max-retries", c.MaxRetries, "SDK retries on 429/503/504 (0: SDK default 3, -1: none, max 10).")
	f.DurationVar(&c.RetryDelay, prefix+"retry-delay", c.RetryDelay, "Back-off base without Retry-After (whole seconds).")
	f.DurationVar(&c.Timeout, prefix+"timeout", c.Timeout, "Bound on one request including SDK retries (0: 100s).")
	f.Func(prefix+"scopes", "Comma-separated token scopes (default Graph /.default).", func(v string) error {
		c.Scopes = strings.Split(v, ",")
		return nil
	})
}
