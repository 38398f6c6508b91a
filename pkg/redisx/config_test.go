package redisx_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	var cfg redisx.Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags("redis.", fs)
	require.NoError(t, fs.Parse([]string{"-redis.password", "hunter2", "-redis.username", "svc"}))
	require.Equal(t, "hunter2", cfg.Password.Reveal())

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "redis", cfg, "pw", cfg.Password)
	j, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, out := range []string{buf.String(), string(j), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Password),
		fs.Lookup("redis.password").Value.String()} {
		require.NotContains(t, out, "hunter2")
	}
	require.Contains(t, buf.String(), "REDACTED")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var ok redisx.Config
	ok.RegisterFlags("", flag.NewFlagSet("t", flag.ContinueOnError))
	require.NoError(t, ok.Validate())
	for name, c := range map[string]redisx.Config{
		"addr":      {Addr: "no-port"},
		"db":        {Addr: "h:1", DB: 16},
		"pool":      {Addr: "h:1", PoolSize: -1},
		"user":      {Addr: "h:1", Username: "u"},
		"cert only": {Addr: "h:1", TLS: redisx.TLSConfig{CertFile: "c.pem"}},
		"ca file":   {Addr: "h:1", TLS: redisx.TLSConfig{CAFile: "/nonexistent/ca.pem"}},
	} {
		require.ErrorIs(t, c.Validate(), redisx.ErrInvalid, name)
	}
}

func TestNewClientTracesCommands(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, err := redisx.NewClient(redisx.Config{Addr: srv.Addr, Tracing: true}, tp)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Ping(t.Context()).Err())
	require.NotEmpty(t, rec.Ended())
}

func TestNewClientTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, key := writeCert(t, dir)
	c, err := redisx.NewClient(redisx.Config{Addr: "redis.internal:6380",
		TLS: redisx.TLSConfig{CAFile: ca, CertFile: ca, KeyFile: key}}, nil)
	require.NoError(t, err)
	defer c.Close()
	o := c.Options().TLSConfig
	require.NotNil(t, o)
	require.Equal(t, "redis.internal", o.ServerName)
	require.NotNil(t, o.RootCAs)
	require.Len(t, o.Certificates, 1)

	bad := filepath.Join(dir, "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not pem"), 0o600))
	_, err = redisx.NewClient(redisx.Config{Addr: "h:1", TLS: redisx.TLSConfig{CAFile: bad}}, nil)
	require.ErrorIs(t, err, redisx.ErrInvalid)
}

func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redis.internal"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, DNSNames: []string{"redis.internal"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}
