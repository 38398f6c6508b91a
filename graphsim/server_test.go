package graphsim

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTTPSWithGeneratedCA(t *testing.T) {
	t.Parallel()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	srv, err := Start(context.Background(), Options{CAFile: caFile, Tenants: []TenantSpec{{Domain: "contoso.example"}}})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Close()) }()
	require.True(t, strings.HasPrefix(srv.GraphURL(), "https://127.0.0.1:"))
	require.True(t, strings.HasSuffix(srv.GraphURL(), "/v1.0"))
	require.True(t, strings.HasSuffix(srv.AuthorityURL(), "/"))

	block, _ := pem.Decode(srv.CACertPEM())
	require.NotNil(t, block)
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.True(t, ca.IsCA)
	onDisk, err := os.ReadFile(caFile)
	require.NoError(t, err)
	require.Equal(t, srv.CACertPEM(), onDisk)

	resp, err := srv.HTTPClient().Get(srv.BaseURL() + "/_sim/health")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode)

	// An untrusting client fails the TLS handshake.
	plain := &http.Client{Transport: &http.Transport{}}
	_, err = plain.Get(srv.BaseURL() + "/_sim/health")
	require.Error(t, err)
	plain.CloseIdleConnections()

	lines := srv.TenantLines()
	require.Len(t, lines, 1)
	require.Equal(t, "contoso.example", lines[0].Domain)
	require.Equal(t, caFile, lines[0].CAFile)
	require.Equal(t, srv.GraphURL(), lines[0].GraphURL)
	require.Same(t, srv.Tenant(lines[0].TenantID), srv.Tenant("CONTOSO.example"))
}

func TestPlainHTTP(t *testing.T) {
	t.Parallel()
	srv, err := Start(context.Background(), Options{PlainHTTP: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Close()) }()
	require.True(t, strings.HasPrefix(srv.GraphURL(), "http://"))
	require.Nil(t, srv.CACertPEM())
	require.Empty(t, srv.TenantLines()[0].CAFile)
	resp, err := srv.HTTPClient().Get(srv.BaseURL() + "/_sim/health")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode)
}

func TestStartValidationAndDefaults(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{ID: "not-a-guid"}}})
	require.Error(t, err)
	_, err = Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{Domain: "a.example"}, {Domain: "a.example"}}})
	require.Error(t, err)

	a, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{}, {}}})
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Close()) }()
	b, err := Start(context.Background(), Options{PlainHTTP: true, Tenants: []TenantSpec{{}, {}}})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	require.Equal(t, a.Tenants()[1].Info(), b.Tenants()[1].Info(), "defaults are deterministic")
	require.Equal(t, "fabrikam.example", a.Tenants()[1].Domain())
}

func TestStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, Options{PlainHTTP: true})
	require.NoError(t, err)
	cancel()
	require.Eventually(t, func() bool {
		_, err := http.Get(srv.BaseURL() + "/_sim/health")
		return err != nil
	}, 5e9, 1e7)
	require.NoError(t, srv.Close())
}

func TestParseTenants(t *testing.T) {
	t.Parallel()
	specs, err := ParseTenants([]byte(`{"tenants":[{"domain":"contoso.example","users":10,"limits":{"writes_per_minute":100,"latency":"5ms"}}]}`))
	require.NoError(t, err)
	require.Equal(t, 10, specs[0].Users)
	require.Equal(t, 100, specs[0].Limits.WritesPerMinute)
	require.Equal(t, int64(5e6), int64(specs[0].Limits.Latency))
	specs, err = ParseTenants([]byte(`[{"domain":"a.example"},{"domain":"b.example"}]`))
	require.NoError(t, err)
	require.Len(t, specs, 2)
	_, err = ParseTenants([]byte(`[{"domian":"typo.example"}]`))
	require.Error(t, err)
	_, err = ParseTenants([]byte(`[{"id":"x"}]`))
	require.Error(t, err)
	path := filepath.Join(t.TempDir(), "t.json")
	require.NoError(t, os.WriteFile(path, []byte(`[{"users":1}]`), 0o600))
	specs, err = LoadTenantsFile(path)
	require.NoError(t, err)
	require.Len(t, specs, 1)
}
