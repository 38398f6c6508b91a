package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	graphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
)

// localBackingStore avoids a data race in the SDK (go test -race):
// NewGraphServiceClient passes store.BackingStoreFactoryInstance to
// EnableBackingStore, which writes it back to that package-level variable,
// while every model constructor (models.NewEntity) reads it without a lock;
// building a client while another one works (a second configuration
// connecting, parallel tests) races. The write stores the value it just
// read, so it is skipped; the per-adapter part still runs.
type localBackingStore struct {
	*msgraphsdk.GraphRequestAdapter
}

func (o localBackingStore) EnableBackingStore(store.BackingStoreFactory) {
	o.GraphRequestAdapter.EnableBackingStore(nil) // nil: no global write
}

// Client talks to one tenant's Graph as one app. It is safe for concurrent
// use.
type Client struct {
	cfg     Config
	sdk     *msgraphsdk.GraphServiceClient
	adapter *msgraphsdk.GraphRequestAdapter
	cred    tokenSource
	base    http.RoundTripper
	retries atomic.Int64
	// batchURL is the $batch endpoint; itemBase the service root that
	// $batch item URLs are relative to (batchjson.go).
	batchURL url.URL
	itemBase string
	// errorParseNodes read error bodies on the raw paths (raw.go) as the
	// adapter's own factory does: safeParseNodes behind the backing-store
	// proxy EnableBackingStore puts in front of it.
	errorParseNodes absser.ParseNodeFactory
}

// New builds a Client. It does not contact the tenant (ctx is kept for
// construction that may need to, e.g. certificate loading); call CheckToken
// for a connection test.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	graphURL, err := url.Parse(cfg.GraphURL)
	if err != nil {
		return nil, fmt.Errorf("parse graph url: %w", err)
	}
	cred, err := newCredential(cfg)
	if err != nil {
		return nil, err
	}
	// The kiota auth provider silently sends no token to hosts outside this
	// list, so the Graph host (no port) must be in it.
	auth, err := graphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		newCachedCredential(cred), cfg.Scopes, []string{graphURL.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("create auth provider: %w", err)
	}
	c := &Client{cfg: cfg, cred: tokenSource{cred: cred, scopes: cfg.Scopes}}
	httpClient := c.newHTTPClient()
	parseNodes := safeParseNodes{absser.DefaultParseNodeFactoryInstance}
	c.errorParseNodes = abs.EnableBackingStoreForParseNodeFactory(parseNodes)
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, parseNodes, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("create request adapter: %w", err)
	}
	// Must precede NewGraphServiceClient, which copies the base URL into
	// its path parameters once.
	adapter.SetBaseUrl(cfg.GraphURL)
	c.adapter = adapter
	root := strings.TrimSuffix(cfg.GraphURL, "/")
	batchURL, err := url.Parse(root + "/$batch")
	if err != nil {
		return nil, fmt.Errorf("parse graph url: %w", err)
	}
	c.batchURL = *batchURL
	rootURL, err := url.Parse(root)
	if err != nil {
		return nil, fmt.Errorf("parse graph url: %w", err)
	}
	c.itemBase = rootURL.String()
	c.sdk = msgraphsdk.NewGraphServiceClient(localBackingStore{adapter})
	return c, nil
}

// newHTTPClient wraps the caller's transport in the Graph SDK's default
// middleware, with three changes. The retry handler gets MaxRetries and a
// retry counter. The order is fixed: kiota-http-go builds its defaults
// from a map, so the order differs per process (retry goes before
// redirect). And request bodies are not gzipped: the compression handler
// built a new flate writer for every request, 9–11% of an all-in-one
// process's CPU in an initial cycle (BENCHMARKS.md, issue 5), to shrink
// bodies of a few KB that Graph accepts uncompressed; it also broke
// retries when it sat inside the retry handler (a retried POST/PATCH was
// resent with its uncompressed body under "Content-Encoding: gzip", the
// handler rewriting a shallow copy whose Header map is shared).
func (c *Client) newHTTPClient() *http.Client {
	opts := msgraphsdk.GetDefaultClientOptions()
	var rest []khttp.Middleware
	for _, mw := range msgraphgocore.GetDefaultMiddlewaresWithOptions(&opts) {
		switch mw.(type) {
		case *khttp.RetryHandler:
			rest = append(rest, khttp.NewRetryHandlerWithOptions(c.retryOptions()))
		case *khttp.CompressionHandler:
			// dropped: see above
		default:
			rest = append(rest, mw)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return middlewareRank(rest[i]) < middlewareRank(rest[j]) })
	c.base = c.cfg.HTTPClient.Transport
	if c.base == nil {
		c.base = khttp.GetDefaultTransport()
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(c.base, rest...),
		Timeout:   c.cfg.Timeout,
		// The SDK's redirect middleware follows redirects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Jar:           c.cfg.HTTPClient.Jar,
	}
}

// middlewareRank puts retry before redirect so a redirected request is
// retried as a whole; the rest keep the SDK's relative order.
func middlewareRank(mw khttp.Middleware) int {
	switch mw.(type) {
	case *khttp.RetryHandler:
		return 1
	case *khttp.RedirectHandler:
		return 2
	}
	return 3
}

func (c *Client) retryOptions() khttp.RetryHandlerOptions {
	delay := int(c.cfg.RetryDelay / time.Second)
	return khttp.RetryHandlerOptions{
		MaxRetries:   c.cfg.MaxRetries,
		DelaySeconds: delay,
		ShouldRetry: func(_ time.Duration, attempt int, req *http.Request, resp *http.Response) bool {
			if c.cfg.MaxRetries < 0 {
				return false
			}
			c.retries.Add(1)
			c.cfg.Logger.LogAttrs(req.Context(), slog.LevelDebug, "graph retry",
				slog.Int("status", resp.StatusCode), slog.String("method", req.Method),
				slog.String("path", req.URL.Path), slog.Int("attempt", attempt+1),
				slog.String("retry_after", resp.Header.Get("Retry-After")))
			return true
		},
	}
}

// Retries reports how many times the SDK retry handler has retried a
// request of this Client (429, 503, 504).
func (c *Client) Retries() int64 { return c.retries.Load() }

// Close releases idle connections. The Client must not be used afterwards.
func (c *Client) Close() {
	if ci, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// TenantID is the tenant this Client acts in.
func (c *Client) TenantID() string { return c.cfg.TenantID }
