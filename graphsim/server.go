package graphsim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	ln     net.Listener
	hs     *http.Server
	ca     *certAuthority
	client *http.Client
	base   string // scheme://host:port, no trailing slash
	keys   *tokenKeys
	tokens tokenCodec
	serve  chan error

	mu      sync.RWMutex
	tenants []*Tenant
	byKey   map[string]*Tenant // lower-cased id and domain

	caFile    string
	stopWatch func() bool
	closeOnce sync.Once
	closeErr  error

	// onDelay, set by tests, sees every latency draw before the wait.
	onDelay atomic.Pointer[func(time.Duration)]
}

// Start creates the tenants, binds the listener and serves until Close or
// until ctx is done.
func Start(ctx context.Context, o Options) (*Server, error) {
	s := &Server{log: o.Logger, now: o.Now, byKey: map[string]*Tenant{}, serve: make(chan error, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	keys, err := newTokenKeys()
	if err != nil {
		return nil, err
	}
	s.keys = keys
	macKey := make([]byte, 32)
	if _, err := rand.Read(macKey); err != nil {
		return nil, fmt.Errorf("generate token key: %w", err)
	}
	s.tokens = tokenCodec{key: macKey}

	specs := o.Tenants
	if len(specs) == 0 {
		specs = []TenantSpec{{}}
	}
	for i, spec := range specs {
		if err := s.addTenant(ctx, i, spec); err != nil {
			return nil, err
		}
	}

	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	scheme := "http"
	if !o.PlainHTTP {
		host, _, _ := net.SplitHostPort(addr)
		ca, err := newCertAuthority(s.now(), append([]string{host}, o.Hosts...)...)
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		s.ca = ca
		scheme = "https"
	}
	if s.ca != nil && o.CAFile != "" {
		if err := os.WriteFile(o.CAFile, s.ca.caPEM, 0o644); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("write CA file: %w", err)
		}
		s.caFile = o.CAFile
	}
	s.client = newHTTPClient(s.ca)
	s.base = scheme + "://" + publicHostPort(ln.Addr(), o.Hosts)
	s.ln = ln
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.ca != nil {
		s.hs.TLSConfig = s.ca.serverConfig()
	}
	go func() {
		var err error
		if s.ca != nil {
			err = s.hs.ServeTLS(ln, "", "")
		} else {
			err = s.hs.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serve <- err
	}()
	// Stop with the caller's context; Close unregisters the watcher.
	s.stopWatch = context.AfterFunc(ctx, func() { _ = s.Close() })
	s.log.Info("graphsim started", "url", s.base, "tenants", len(s.tenants))
	return s, nil
}

// publicHostPort is the listener address clients use: the first of hosts
// when the listener is on an unspecified address (0.0.0.0, ::).
func publicHostPort(a net.Addr, hosts []string) string {
	if ta, ok := a.(*net.TCPAddr); ok && len(hosts) > 0 && ta.IP.IsUnspecified() {
		return net.JoinHostPort(hosts[0], fmt.Sprint(ta.Port))
	}
	return hostPort(a)
}

// hostPort renders a listener address, bracketing IPv6.
func hostPort(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return net.JoinHostPort(ta.IP.String(), fmt.Sprint(ta.Port))
	}
	return a.String()
}

// Close stops the listener and in-flight requests. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopWatch != nil {
			s.stopWatch()
		}
		// Our own client's idle HTTP/2 connections would otherwise hold
		// Shutdown for the GOAWAY timeout.
		s.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.hs.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.hs.Close())
		}
		if serveErr := <-s.serve; serveErr != nil {
			err = errors.Join(err, serveErr)
		}
		s.client.CloseIdleConnections()
		if err != nil {
			s.closeErr = fmt.Errorf("close graphsim: %w", err)
		}
	})
	return s.closeErr
}

// GraphURL is the Graph base URL, e.g. https://127.0.0.1:port/v1.0.
func (s *Server) GraphURL() string { return s.base + "/v1.0" }

// AuthorityURL is the OAuth authority host with a trailing slash; the token
// endpoint is {authority}{tenant}/oauth2/v2.0/token.
func (s *Server) AuthorityURL() string { return s.base + "/" }

// BaseURL is scheme://host:port of the simulator.
func (s *Server) BaseURL() string { return s.base }

// CACertPEM is the PEM of the CA that signed the server certificate (nil for
// plain HTTP).
func (s *Server) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return append([]byte(nil), s.ca.caPEM...)
}

// HTTPClient returns a client that trusts the simulator's CA.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Tenant returns the tenant with the given id or verified domain, or nil.
func (s *Server) Tenant(id string) *Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byKey[strings.ToLower(id)]
}

// Tenants returns all tenants in creation order.
func (s *Server) Tenants() []*Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Tenant(nil), s.tenants...)
}

// SetLimits replaces a tenant's throttling, latency and fault settings.
func (s *Server) SetLimits(tenantID string, l Limits) error {
	t := s.Tenant(tenantID)
	if t == nil {
		return fmt.Errorf("set limits: %w: %s", ErrUnknownTenant, tenantID)
	}
	return t.SetLimits(l)
}

// Stats returns a tenant's request counters (zero for unknown tenants).
func (s *Server) Stats(tenantID string) Stats {
	t := s.Tenant(tenantID)
	if t == nil {
		return Stats{}
	}
	return t.Stats()
}

// TenantLines describes every tenant for a command's stdout; ca_file is
// Options.CAFile when serving HTTPS.
func (s *Server) TenantLines() []TenantLine {
	var out []TenantLine
	for _, t := range s.Tenants() {
		in := t.Info()
		l := TenantLine{
			TenantID: in.ID, Domain: in.Domain, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
			GraphURL: s.GraphURL(), AuthorityURL: s.AuthorityURL(),
		}
		if s.ca != nil {
			l.CAFile = s.caFile
		}
		out = append(out, l)
	}
	return out
}

// ErrUnknownTenant is returned for a tenant id or domain the server lacks.
var ErrUnknownTenant = errors.New("unknown tenant")

// drain discards a request body the handler did not read, so keep-alive
// connections can be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20)) }
