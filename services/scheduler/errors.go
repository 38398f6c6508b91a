package scheduler

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xtsync/xtsync/pkg/rules"
)

func asFieldErrors(err error, out *rules.FieldErrors) bool { return errors.As(err, out) }

// toStatus maps the store's errors to gRPC codes once, at the door;
// anything unexpected is logged and becomes Internal without details.
func (s *Scheduler) toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, "configuration not found")
	case errors.Is(err, ErrEtag):
		return status.Error(codes.Aborted, "the configuration changed since it was read: get it again (etag)")
	case errors.Is(err, ErrState):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	s.log.Log(ctx, slog.LevelError, "scheduler request failed", "err", err)
	return status.Error(codes.Internal, "internal error")
}

// codeOf is the audit result of a failed call: the gRPC code name.
func codeOf(err error) string { return status.Code(err).String() }
