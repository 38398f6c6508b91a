package grpcx

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// bearer is per-RPC bearer credentials.
type bearer struct {
	token string
	// plaintextOK is set only by Dial for a loopback target.
	plaintextOK bool
}

// BearerToken returns per-RPC credentials sending "authorization: Bearer
// <token>". They require a TLS connection; Dial allows plaintext on
// loopback targets only.
func BearerToken(token string) credentials.PerRPCCredentials { return bearer{token: token} }

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return !b.plaintextOK }

// ClientConfig is how a client reaches an xtsync gRPC server.
type ClientConfig struct {
	// Target is host:port.
	Target string
	// Token is the bearer token; empty sends none (health checks).
	Token string
	// TLS, when nil, means plaintext, which Dial allows only to a loopback
	// host: a token must never cross a network in clear.
	TLS *tls.Config
}

// Dial returns a client connection with otelgrpc tracing and the bearer
// token on every call.
func Dial(cfg ClientConfig, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	host, _, err := net.SplitHostPort(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("grpcx: target %q: %w", cfg.Target, err)
	}
	opts := []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler())}
	plaintext := cfg.TLS == nil
	if plaintext {
		if !IsLoopback(host) {
			return nil, fmt.Errorf("grpcx: plaintext to non-loopback %q refused: configure TLS", cfg.Target)
		}
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg.TLS)))
	}
	if cfg.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: cfg.Token, plaintextOK: plaintext}))
	}
	conn, err := grpc.NewClient(cfg.Target, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("grpcx: dial %s: %w", cfg.Target, err)
	}
	return conn, nil
}
