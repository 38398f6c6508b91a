# syntax=docker/dockerfile:1
# One image for every xtsync binary (graphsim today; xtsync and xtsyncctl as
# they land). Multi-stage: a Go builder with a cached module and build
# directory, then a distroless, non-root runtime.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.work go.work.sum ./
COPY pkg/go.mod pkg/go.sum pkg/
COPY graphsim/go.mod graphsim/go.sum graphsim/
COPY services/go.mod services/go.sum services/
COPY cmd/go.mod cmd/go.sum cmd/
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download -x 2>/dev/null || true
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/graphsim"]
