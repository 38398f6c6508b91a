package grpcx

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Principal is the authenticated caller of an RPC.
type Principal struct {
	// Name is the caller identity from the tokens file.
	Name string
	// Tenants the caller may manage; AllTenants means every one.
	Tenants []string
}

// Admin reports a principal allowed for every tenant.
func (p Principal) Admin() bool { return slices.Contains(p.Tenants, AllTenants) }

// Allowed reports whether p may act on tenantID.
func (p Principal) Allowed(tenantID string) bool {
	if tenantID == "" {
		return false
	}
	return p.Admin() || slices.ContainsFunc(p.Tenants, func(t string) bool { return strings.EqualFold(t, tenantID) })
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (the interceptor's job; tests and
// in-process callers use it too).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller of the RPC in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authorize returns nil if the caller may act on at least one of tenantIDs
// (a configuration belongs to both its source and its target tenant),
// codes.Unauthenticated without a caller and codes.PermissionDenied
// otherwise. The message never says whether the object exists.
func Authorize(ctx context.Context, tenantIDs ...string) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "no authenticated caller")
	}
	for _, t := range tenantIDs {
		if p.Allowed(t) {
			return nil
		}
	}
	return status.Errorf(codes.PermissionDenied, "caller %q is not allowed for these tenants", p.Name)
}

// openMethod reports the services every caller may use without a token:
// probes and grpcurl.
func openMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1.ServerReflection/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.v1alpha.ServerReflection/")
}

// authenticator turns the bearer token of a call into a Principal.
type authenticator struct {
	tokens *Tokens
	// anonymous, when set, is every caller's principal (auth disabled on a
	// loopback-only server: the all-in-one laptop default).
	anonymous *Principal
}

func (a *authenticator) authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	if openMethod(fullMethod) {
		return ctx, nil
	}
	if a.anonymous != nil {
		noteCaller(ctx, a.anonymous.Name)
		return WithPrincipal(ctx, *a.anonymous), nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return nil, status.Error(codes.Unauthenticated, "missing bearer token")
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return nil, status.Error(codes.Unauthenticated, "authorization is not a bearer token")
	}
	p, ok := a.tokens.Verify(strings.TrimSpace(token))
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "unknown bearer token")
	}
	noteCaller(ctx, p.Name)
	return WithPrincipal(ctx, p), nil
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, err := a.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, err := a.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
}

// ctxStream replaces a stream's context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
