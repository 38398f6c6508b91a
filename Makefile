# xtsync — the front door. `make help` lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
MODULES    := pkg graphsim services cmd
PKGS       := $(foreach m,$(MODULES),./$(m)/...)
# Packages that never link msgraph-sdk-go: cheap to build with -race.
RACE_PKGS  := ./pkg/... ./graphsim/... ./services/transformer/... ./services/synclog/...
FUZZTIME   ?= 10s
BENCHTIME  ?= 1s
# cmd/xtsync's end-to-end suite (services as processes, kills, faults)
# outlives go test's 10-minute default on a loaded 2-core machine.
TEST_TIMEOUT ?= 40m

BUF_VERSION                ?= v1.75.0
PROTOC_GEN_GO_VERSION      ?= v1.36.12
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.2

.PHONY: help
help: ## Show this help.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  \033[36m%-18s\033[0m %s\n",$$1,$$2}'

.PHONY: tools
tools: $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc ## Install pinned build tools into ./bin.

$(BIN)/buf:
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(BIN)/protoc-gen-go-grpc:
	GOBIN=$(BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

.PHONY: build
build: ## Build the binaries into ./bin (xtsync, xtsyncctl, graphsim).
	go build -o $(BIN)/ ./cmd/...

.PHONY: deps
deps: ## Install what the tests need on a fresh Debian/Ubuntu machine (redis-server).
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server; }

.PHONY: test
test: deps ## Run every test (unit + integration against real Redis/NATS/graphsim), then the race detector on the SDK-free modules.
	XTSYNC_REQUIRE_REDIS=1 go test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	XTSYNC_REQUIRE_REDIS=1 go test -count=1 -timeout $(TEST_TIMEOUT) -race $(RACE_PKGS)

.PHONY: test-short
test-short: ## Run the unit tests only (-short).
	go test -short $(PKGS)

.PHONY: bench
bench: ## Run the Go benchmarks (BENCHTIME=1s).
	go test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)
	$(MAKE) bench-scale

SCALE_SCENARIO ?= unthrottled
SCALE_SIZE     ?= small
.PHONY: bench-scale
bench-scale: deps ## Scale run of the whole product (SCALE_SCENARIO=throttle|unthrottled|delta|writers|configs|storm, SCALE_SIZE=small|medium|large, SCALE_FLAGS).
	go run ./cmd/xtsync-scale -scenario $(SCALE_SCENARIO) -size $(SCALE_SIZE) $(SCALE_FLAGS)

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 10s).
	./scripts/fuzz-all.sh $(FUZZTIME)

.PHONY: faults
faults: deps ## Run the long fault-injection suite (XTSYNC_FAULT_LONG=1; XTSYNC_FAULT_SEED=N replays a run): kill -9, Redis/NATS restarts, Graph faults, two schedulers, soak. RELIABILITY.md.
	XTSYNC_FAULT_LONG=1 XTSYNC_REQUIRE_REDIS=1 go test -count=1 -v -timeout 90m -run 'TestE2EFault|TestE2ESecretsNeverLeak|TestE2EHostileMatchingValues' ./cmd/xtsync

.PHONY: lint
lint: tools ## go vet, gofmt, buf lint.
	go vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(BIN)/buf lint

.PHONY: fmt
fmt: ## gofmt -w every Go file.
	gofmt -w $$(git ls-files '*.go' | grep -v '\.pb\.go$$')

.PHONY: proto
proto: tools ## Regenerate Go code from proto/ into pkg/gen.
	$(BIN)/buf generate

.PHONY: check-generated
check-generated: proto ## Fail if the committed generated code differs from a fresh generation.
	@git diff --exit-code -- pkg/gen || (echo "generated code is stale: run make proto and commit" && exit 1)
	@test -z "$$(git status --porcelain -- pkg/gen)" || (git status --porcelain -- pkg/gen; echo "untracked generated files: run make proto and commit"; exit 1)

.PHONY: demo
demo: deps ## Run the main job on the embedded default: two simulated tenants, the five services in one process (DEMO_FLAGS, e.g. -demo.exit-after-first-cycle).
	go run ./cmd/xtsync -demo $(DEMO_FLAGS)

.PHONY: ci
ci: lint check-generated test fuzz ## What .ci/run runs.

.PHONY: clean
clean: ## Remove ./bin.
	rm -rf $(BIN)
