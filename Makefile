# PhotonDB build and test entry points. `make run` and `make test` are the two
# commands a new user needs (see README.md).

GO        ?= go
BIN       := bin/photondb
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X github.com/photondb-io/photondb/shared/version.Version=$(VERSION) \
             -X github.com/photondb-io/photondb/shared/version.Commit=$(COMMIT)
export GOTOOLCHAIN ?= local

.PHONY: build run test vet unit test-js js-deps fuzz bench bench-e2e bench-feeds clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/photondb

# Starts the embedded default (control plane + one data node) in dev mode,
# with data in ./data. Drivers connect to 127.0.0.1:28015; HTTP on :8080.
run: build
	./$(BIN) serve --dev-mode --data-dir ./data

# Everything: vet, unit and integration tests (including the official Go
# driver's tests against a real server), then the official JS driver's tests.
test: vet unit test-js

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

unit: build
	PHOTONDB_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./...
	# The CLI tests again, against photondb controlplane + datanode on Consul.
	PHOTONDB_DEPLOYMENT=consul PHOTONDB_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./tests/cli/

js-deps:
	cd tests/drivers/js && npm ci --no-audit --no-fund

test-js: build js-deps
	cd tests/drivers/js && PHOTONDB_BIN=$(CURDIR)/$(BIN) npm test

# Short runs of every fuzz target (parsers of untrusted bytes).
FUZZTIME ?= 15s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# Issue 3's storage comparison (slab engine vs pebble and bbolt, 1 KB
# values, 1M keys; about 3 minutes), then the engine's micro-benchmarks.
BENCH_KEYS ?= 1000000
bench:
	PHOTONDB_BENCH_KEYS=$(BENCH_KEYS) $(GO) test -run '^$$' -bench Compare -benchtime 1x -timeout 30m ./datanode/storage/
	$(GO) test -run '^$$' -bench 'Apply|Get|Scan' -benchtime 1s ./datanode/storage/

# Issue 5's side-by-side benchmark: PhotonDB vs a private PostgreSQL
# (installed with apt-get when missing), YCSB-style workloads, one table.
# Extra generator flags: make bench-e2e BENCH_ARGS="-duration 5s".
bench-e2e:
	BENCH_ARGS="$(BENCH_ARGS)" bash tests/bench/run.sh

# Issue 6's changefeed benchmark: 1,000 subscribers and a writer at 1,000
# writes/s for 30 s, then 10,000 point feeds (memory per feed).
bench-feeds: build
	$(GO) run ./tests/bench/cmd/feeds -bin $(BIN) $(FEEDS_ARGS)

clean:
	rm -rf bin
