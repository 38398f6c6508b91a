# syntax=docker/dockerfile:1
# One build for every xtsync binary, two small runtime images:
#   docker build -t xtsync .                      # default: xtsync (ENTRYPOINT xtsync; xtsyncctl beside it)
#   docker build --target graphsim -t graphsim .  # the tenant simulator
# Multi-stage: a Go builder with cached modules and build cache, then
# distroless static (no shell, no libc), non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.work go.work.sum ./
COPY pkg/go.mod pkg/go.sum pkg/
COPY graphsim/go.mod graphsim/go.sum graphsim/
COPY services/go.mod services/go.sum services/
COPY cmd/go.mod cmd/go.sum cmd/
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/xtsync ./cmd/xtsyncctl ./cmd/graphsim

FROM gcr.io/distroless/static-debian12:nonroot AS graphsim
COPY --from=build /out/graphsim /usr/local/bin/graphsim
USER nonroot:nonroot
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/graphsim"]

# Last stage: what `docker build .` produces.
FROM gcr.io/distroless/static-debian12:nonroot AS xtsync
COPY --from=build /out/xtsync /out/xtsyncctl /usr/local/bin/
USER nonroot:nonroot
# 9095 gRPC API (scheduler, synclog), 9464 /metrics /live /ready.
EXPOSE 9095 9464
ENTRYPOINT ["/usr/local/bin/xtsync"]
