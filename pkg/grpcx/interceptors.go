package grpcx

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recoverUnary turns a handler panic into codes.Internal: one bad request
// must not take down the process and every call in flight.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = panicked(ctx, log, info.FullMethod, p)
			}
		}()
		return h(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = panicked(ss.Context(), log, info.FullMethod, p)
			}
		}()
		return h(srv, ss)
	}
}

func panicked(ctx context.Context, log *slog.Logger, method string, p any) error {
	log.ErrorContext(ctx, "grpc handler panicked", keyMethod, method,
		"err", fmt.Sprint(p), "stack", string(debug.Stack()))
	return status.Error(codes.Internal, "internal error")
}

// Log keys of request logs.
const (
	keyMethod    = "grpc.method"
	keyCode      = "grpc.code"
	keyDuration  = "duration"
	keyPrincipal = "principal"
)

// logUnary logs one line per call: Debug when OK, Info for caller errors,
// Error for server-side failures.
func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		ctx, ci := withCallInfo(ctx)
		resp, err := h(ctx, req)
		logCall(ctx, log, info.FullMethod, ci, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		start := time.Now()
		ctx, ci := withCallInfo(ss.Context())
		err := h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
		logCall(ctx, log, info.FullMethod, ci, start, err)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, ci *callInfo, start time.Time, err error) {
	if openMethod(method) && err == nil {
		return // probes every few seconds are not news
	}
	code := status.Code(err)
	level := slog.LevelDebug
	switch code {
	case codes.OK:
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	attrs := []any{keyMethod, method, keyCode, code.String(), keyDuration, time.Since(start)}
	if ci.principal != "" {
		attrs = append(attrs, keyPrincipal, ci.principal)
	}
	if err != nil {
		attrs = append(attrs, "err", status.Convert(err).Message())
	}
	log.Log(ctx, level, "grpc call", attrs...)
}

// callInfo lets the authenticator, deeper in the chain, tell the request
// log who called.
type callInfo struct{ principal string }

type callInfoKey struct{}

func withCallInfo(ctx context.Context) (context.Context, *callInfo) {
	ci := &callInfo{}
	return context.WithValue(ctx, callInfoKey{}, ci), ci
}

func noteCaller(ctx context.Context, name string) {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		ci.principal = name
	}
}
