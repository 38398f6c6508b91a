// Package grpcx is the one gRPC server of an xtsync process and the client
// side that talks to it.
//
// A server carries, in this order around every handler: request logging
// (slog), panic recovery (codes.Internal, never a crash), and bearer-token
// authentication that puts a Principal in the context. Handlers authorize
// per tenant with Authorize. The gRPC health service (one status per
// service name) and reflection stay open without a token, so probes and
// grpcurl work. otelgrpc's stats handler traces every call.
//
// # Tokens file
//
// The server never stores tokens, only their SHA-256 (hex), in a YAML or
// JSON file:
//
//	tokens:
//	  - name: portal-contoso          # the caller identity (audit "actor")
//	    sha256: 9f86d081884c7d65...   # sha256 of the bearer token, hex
//	    tenants: [11111111-...]       # tenant ids this caller may manage
//	  - name: sre
//	    sha256: ...
//	    tenants: ["*"]                # every tenant
//
// Generate a token and its hash with e.g.
// `openssl rand -hex 32 | tee token | tr -d '\n' | sha256sum`.
package grpcx
