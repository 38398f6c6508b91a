package synclog

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xtsync/xtsync/pkg/natsx"
)

// StaticTenants is a fixed ConfigTenants: configuration id -> {source,
// target}. For tests and single-configuration deployments.
type StaticTenants map[string][2]string

// ConfigTenants implements ConfigTenants.
func (s StaticTenants) ConfigTenants(_ context.Context, cfgID string) (string, string, error) {
	t, ok := s[cfgID]
	if !ok {
		return "", "", fmt.Errorf("%q: %w", cfgID, ErrUnknownConfiguration)
	}
	return t[0], t[1], nil
}

// authorize admits the caller to the configuration: the caller must be
// allowed on its source or target tenant (Authorizer decides which of the
// two suffices). Unknown configurations answer NotFound only to callers
// who passed authentication at all, so ids cannot be probed anonymously.
func (s *Service) authorize(ctx context.Context, cfgID string) error {
	if err := natsx.ValidToken(cfgID); err != nil {
		return invalid("configuration_id", "%v", err)
	}
	src, tgt, err := s.d.Tenants.ConfigTenants(ctx, cfgID)
	if errors.Is(err, ErrUnknownConfiguration) {
		if aerr := s.d.Auth.Authorize(ctx); status.Code(aerr) == codes.Unauthenticated {
			return aerr
		}
		return status.Errorf(codes.NotFound, "configuration %q not found", cfgID)
	}
	if err != nil {
		return status.Errorf(codes.Unavailable, "look up configuration %q: %v", cfgID, err)
	}
	if err := s.d.Auth.Authorize(ctx, src, tgt); err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		return status.Errorf(codes.PermissionDenied, "configuration %q: %v", cfgID, err)
	}
	return nil
}

// invalid is the InvalidArgument error naming the request field.
func invalid(field, format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, "%s: %s", field, fmt.Sprintf(format, args...))
}
