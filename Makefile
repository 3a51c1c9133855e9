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
        browser-test infra-lint package clean-data

help:
	@echo "make dev   - run the whole system locally (http://127.0.0.1:3000)"
	@echo "make test  - run every test and lint gate"

## ---- tools (installed by the project, from the package registries only) -----------------
rust-tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo is required (rustup)"; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

$(PYTHON):
	python3 -m venv $(VENV)

py-tools: $(PYTHON)
	@$(PYTHON) -c "import moto, cfnlint" 2>/dev/null || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt

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
	$(MAKE) fmt lint rust-test infra-lint client-test browser-test
	@echo "make test: all suites passed"

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test: py-tools
	MOTO_PYTHON=$(abspath $(PYTHON)) $(CARGO) test --workspace

infra-lint: py-tools
	$(VENV)/bin/cfn-lint template.yaml

client-test: client-tools
	cd client && npm run typecheck && npm test

browser-test: client browser-tools
	$(CARGO) build -p local
	mkdir -p $(TEST_OUTPUT)
	cd client && TEST_OUTPUT=$(abspath $(TEST_OUTPUT)) SERVER_BIN=$(abspath target/debug/tenant-chat-local) node --test e2e/

clean-data:
	rm -rf .data
