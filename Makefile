# oura-edge: `make dev` and `make test` are the two commands; each sets up first.
SHELL := /bin/bash
ENV := source scripts/env &&
STATE ?= .state
PORT ?= 8787
SIM_PORT ?= 8788

.PHONY: setup setup-test build build-fast build-named dev test test-wasm test-e2e lint bench fuzz clean backup restore smoke-test

setup:
	@scripts/setup

# Setup plus headless Chromium: only the tests need a browser.
setup-test:
	@scripts/setup --browser

# What a release build depends on; the stamp is newer than all of it when
# build/ holds a release build of these sources.
SOURCES := $(shell find src js -type f 2>/dev/null) Cargo.toml Cargo.lock wrangler.toml
RELEASE_STAMP := build/.release-stamp

# Release build (wasm-opt on, ~90 s): what you deploy, without the wasm
# names section (worker-build keeps it; ~580 KB, only stack traces use it).
# Skipped when build/ already holds a release build of the current sources.
build: $(RELEASE_STAMP)

$(RELEASE_STAMP): $(SOURCES) | setup
	@$(ENV) worker-build --release
	@$(ENV) node scripts/strip-wasm-names.mjs build/index_bg.wasm
	@touch $@

# Same, without wasm-opt: what the tests run against (1-3 s incremental).
# It replaces a release build in build/, so the stamp goes.
build-fast: setup
	@rm -f $(RELEASE_STAMP)
	@$(ENV) worker-build --release --no-opt

# Release build with the wasm names kept: the deployed code, named for the
# CPU benches' profiles. It replaces a release build in build/ too.
build-named: setup
	@rm -f $(RELEASE_STAMP)
	@$(ENV) worker-build --release

# The worker on http://127.0.0.1:$(PORT), fed by the Oura simulator on $(SIM_PORT).
dev: build
	@STATE=$(STATE) PORT=$(PORT) SIM_PORT=$(SIM_PORT) scripts/dev

lint: setup
	@$(ENV) cargo fmt --all --check
	@$(ENV) cargo clippy --workspace --all-targets -- -D warnings
	@$(ENV) cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings

test-wasm: setup
	@$(ENV) cargo test --target wasm32-unknown-unknown --test wasm

test-e2e: setup-test build-fast
	@$(ENV) cargo build -p oura-sim
	@$(ENV) cargo test --test e2e

# Everything: lint, unit + in-process tests, wasm tests, end-to-end under wrangler dev.
test: setup-test lint build-fast
	@$(ENV) cargo build -p oura-sim
	@$(ENV) cargo test --workspace
	@$(ENV) cargo test --target wasm32-unknown-unknown --test wasm

# Criterion benches of the request path, then ingest through the local runtime.
bench: build-fast
	@$(ENV) cargo build -p oura-sim
	@$(ENV) cargo bench --bench middleware_stack
	@$(ENV) cargo bench --bench sql_guard
	@$(ENV) cargo bench --bench sql_budget
	@$(ENV) cargo bench --bench ingest
	@$(ENV) cargo bench --bench sql_throughput
	@$(ENV) cargo bench --bench backfill
	@$(ENV) cargo bench --bench webhook_burst
	@$(ENV) cargo bench --bench frugal
	@$(ENV) cargo bench --bench simulated_day
	@$(MAKE) --no-print-directory build-named
	@$(ENV) cargo bench --bench cpu
	@$(ENV) cargo bench --bench first_calls
	@$(MAKE) --no-print-directory build
	@$(ENV) cargo bench --bench cold_start

# A million randomised mutations of the SQL guard corpus, each accepted one
# run under the SQLite oracle (make test runs a bounded slice).
fuzz: setup
	@$(ENV) FUZZ_ITERS=$${FUZZ_ITERS:-1000000} cargo test --release --test sql_guard -- --ignored --nocapture

# D1 export to $(FILE) (default backups/oura-db-<time>.sql): the local
# database in $(STATE), or the deployed one with REMOTE=1 (CONFIG=wrangler.deploy.toml).
backup: setup
	@STATE=$(STATE) scripts/backup $(if $(REMOTE),--remote) $(FILE)

# Restore $(FILE) into an empty database: local by default (REPLACE=1 deletes
# the local one first), REMOTE=1 DB=<new empty database> for the account.
restore: setup
	@STATE=$(STATE) scripts/restore $(if $(REMOTE),--remote) $(if $(REPLACE),--replace) $(FILE)

# Post-deploy check: make smoke-test URL=https://oura.example.com (tokens from env).
smoke-test:
	@scripts/smoke-test $(URL)

clean:
	rm -rf target build $(STATE) .wrangler
