# Tenant Chat — the two commands a newcomer runs:
#   make dev    install what is missing, build, and run everything locally on http://127.0.0.1:3000
#   make test   every test: Rust unit + integration (moto for the AWS adapters), lint gates,
#               the client's unit tests and browser tests in Debian's Chromium
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV        ?= .venv
PYTHON      := $(VENV)/bin/python
CARGO       ?= cargo
TEST_OUTPUT ?= test-output

.PHONY: help dev test tools rust-tools py-tools client-tools browser-tools client fmt lint rust-test client-test \
        browser-test infra-lint deny deny-advisories sam-build deploy lambda-test schema-fuzz load-check bench-e2e bench-cpu bench-coldstart bench-latency bench-latency-fanout bench-latency-cost bench-latency-hot package clean-data

help:
	@echo "make dev   - run the whole system locally (http://127.0.0.1:3000)"
	@echo "make test  - run every test and lint gate"

## ---- tools (installed by the project, from the package registries only) -----------------
rust-tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo is required (rustup)"; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

$(PYTHON):
	python3 -m venv $(VENV)

# Reinstalled whenever the pins change (the stamp is older than the requirements).
py-tools: $(VENV)/.requirements-installed
$(VENV)/.requirements-installed: scripts/requirements-test.txt | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
	touch $@

client-tools:
	@command -v npm >/dev/null || { echo "installing Node.js and npm (Debian)"; apt-get update -qq && apt-get install -y -qq nodejs npm; }
	@if [ ! -d client/node_modules ] || [ client/package-lock.json -nt client/node_modules/.package-lock.json ]; then \
		cd client && npm ci --no-audit --no-fund --loglevel=error; fi

browser-tools:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

client: client-tools
	cd client && npm run build

## ---- make dev -------------------------------------------------------------------------------
dev: rust-tools client
	$(CARGO) build -p local
	./target/debug/tenant-chat-local

## ---- make test ------------------------------------------------------------------------------
test: rust-tools py-tools client-tools browser-tools
	$(MAKE) fmt lint deny rust-test infra-lint sam-build lambda-test schema-fuzz load-check client-test browser-test
	@echo "make test: all suites passed"

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Licences, duplicate versions and sources of every dependency (deny.toml), offline. cargo deny
# reads the metadata of every platform's crates (windows-sys too), which a Linux build never
# downloads: fetch them from crates.io first.
deny: py-tools
	$(CARGO) fetch --locked
	PATH=$(abspath $(VENV)/bin):$$PATH cargo deny --offline check licenses bans sources

# Known vulnerabilities: needs the RustSec advisory database from GitHub.
deny-advisories: py-tools
	PATH=$(abspath $(VENV)/bin):$$PATH cargo deny check advisories

rust-test: py-tools
	MOTO_PYTHON=$(abspath $(PYTHON)) $(CARGO) test --workspace

infra-lint: py-tools
	$(VENV)/bin/cfn-lint template.yaml infra/waf.yaml
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/sam validate --lint --template template.yaml
	$(VENV)/bin/checkov -f template.yaml -f infra/waf.yaml --framework cloudformation --compact --quiet --skip-download
	$(VENV)/bin/shellcheck scripts/*.sh
	$(PYTHON) scripts/test_edge.py

# The template's functions built as Lambda ships them (release, x86_64, SAM's rust-cargolambda
# build method through cargo-lambda and zig). About 15 minutes from clean on 2 cores.
sam-build: py-tools
	PATH=$$(scripts/toolchain-path.sh $(or $(ARCH),x86_64)) SAM_CLI_TELEMETRY=0 sam build --beta-features --parameter-overrides Architecture=$(or $(ARCH),x86_64)

# sam build + sam deploy (guided the first time), the client with its config.json, uploaded
# behind CloudFront; prints the URL. Needs the AWS CLI with credentials. ARCH=arm64 to choose.
deploy: py-tools client-tools
	ARCH=$(or $(ARCH),x86_64) scripts/deploy.sh

# schemathesis against the served OpenAPI document on the local stack (bounded examples).
schema-fuzz: py-tools
	$(CARGO) build -p local
	$(PYTHON) scripts/schema_fuzz.py

# The load tool's own correctness check at small scale: 20 clients, 0 lost, 0 duplicated.
load-check:
	$(CARGO) build -p local -p bench-e2e
	SERVER_BIN=target/debug/tenant-chat-local ./target/debug/bench-e2e --check

# Handler CPU of the hot use cases on the embedded store, against a raw-SQLite floor (BENCHMARKS.md).
bench-cpu:
	$(CARGO) bench -p shared --features embedded --bench use_cases -- --sample-count 2000

# The latency model of issue 24 (BENCHMARKS.md, "Latency model"): the send path over a store that
# adds a round trip per call and a push that waits per post, 10 to 10,000 connections online,
# inline beside queued; the cost of a million messages from the requests a send makes; and one
# conversation's sends/s with 1, 4 and 16 writer processes on moto, with the retries each costs.
# Debug build: the figures are the model's waits, not our CPU (bench-cpu measures that).
bench-latency: bench-latency-fanout bench-latency-cost bench-latency-hot

bench-latency-fanout:
	$(CARGO) build -p bench-latency
	./target/debug/bench-latency fanout $(BENCH_ARGS)

bench-latency-cost:
	$(CARGO) build -p bench-latency
	./target/debug/bench-latency cost $(BENCH_ARGS)

bench-latency-hot: py-tools
	$(CARGO) build -p bench-latency
	MOTO_PYTHON=$(abspath $(PYTHON)) ./target/debug/bench-latency hot $(BENCH_ARGS)

# Cold start of each function's x86_64 release binary against a Runtime API stub, beside a
# hello-world lambda_runtime floor built the same way (BENCHMARKS.md).
bench-coldstart:
	$(CARGO) build --release -p http-api -p ws -p stream-indexer -p stream-archiver -p retention -p bench-coldstart
	./target/release/bench-coldstart --runs 20

# The end-to-end benchmark against the Socket.IO baseline (release builds; see BENCHMARKS.md).
bench-e2e: client-tools
	cd bench/socketio && npm ci --no-audit --no-fund --loglevel=error
	$(CARGO) build --release -p local -p bench-e2e
	SERVER_BIN=target/release/tenant-chat-local ./target/release/bench-e2e --target both $(BENCH_ARGS)

# Every function under `cargo lambda watch`, invoked with its events/ samples.
lambda-test: py-tools
	$(PYTHON) scripts/lambda_smoke.py

client-test: client-tools
	cd client && npm run typecheck && npm test

browser-test: client browser-tools
	$(CARGO) build -p local
	mkdir -p $(TEST_OUTPUT)
	cd client && TEST_OUTPUT=$(abspath $(TEST_OUTPUT)) SERVER_BIN=$(abspath target/debug/tenant-chat-local) node --test e2e/

# Release builds of every function for Lambda (ARCH=x86_64 by default, or arm64 through
# scripts/toolchain-path.sh), zipped, with their sizes.
package: py-tools
	PATH=$$(scripts/toolchain-path.sh $(or $(ARCH),x86_64)) cargo lambda build --release \
		$(if $(filter arm64,$(ARCH)),--arm64,--x86-64) --output-format zip \
		--bin http-api --bin ws --bin stream-indexer --bin stream-archiver --bin retention --bin fanout
	@for f in http-api ws stream-indexer stream-archiver retention fanout; do \
		printf "%-16s %s bytes\n" $$f $$(stat -c %s target/lambda/$$f/bootstrap.zip); done

clean-data:
	rm -rf .data
