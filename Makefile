# The verbs a newcomer looks for. Everything here is plain cargo underneath.

CARGO ?= cargo
# PostgreSQL for the test suite's second backend (unset: those tests say SKIPPED).
AUTHS_TEST_DATABASE_URL ?=

.PHONY: run test test-pg lint fmt doc deny migrate check ci bench bench-writes bench-scaling bench-micro reliability screenshots

## Start the server on the SQLite default (data/auths.db).
run:
	$(CARGO) run -p authsd

## The whole test suite (PostgreSQL too when AUTHS_TEST_DATABASE_URL is set).
test:
	@if [ -z "$$AUTHS_TEST_DATABASE_URL" ]; then echo "note: AUTHS_TEST_DATABASE_URL is unset: PostgreSQL tests will print SKIPPED and pass"; fi
	$(CARGO) test --workspace

## The suite against the local PostgreSQL of a development machine.
test-pg:
	AUTHS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(CARGO) test --workspace

## fmt check, clippy (warnings are errors), docs (warnings are errors), layering.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --all-features
	$(CARGO) package -p auths-domain --offline --allow-dirty --quiet
	@if [ -x ../shared/tools/check-layers ]; then ../shared/tools/check-layers; fi

fmt:
	$(CARGO) fmt --all

doc:
	$(CARGO) doc --workspace --no-deps --all-features --open

deny:
	$(CARGO) deny check

## Apply pending migrations to AUTHS_DATABASE_URL (default sqlite://data/auths.db).
migrate:
	$(CARGO) run -p authsd -- migrate

## What CI runs.
ci:
	bash .ci/run

## Load N auths (default 100000) and measure against a same-run baseline; needs wrk.
## BACKEND=postgres for the PostgreSQL variant. Report: target/bench/report.md
bench:
	python3 bench/run.py

## The write path (bulk create of 1,000, single updates) of the release build:
## AUTHSD=path/to/authsd to measure another build, BACKEND=postgres likewise.
bench-writes:
	$(CARGO) build --release -q -p authsd
	python3 bench/writes.py

## Two instances on one PostgreSQL database: consistency, and reads and writes
## through one instance against both (docs/scaling.md). Report: target/bench/scaling.md
bench-scaling:
	python3 bench/scaling.py

## criterion micro-benchmarks of the hot pure code.
bench-micro:
	$(CARGO) bench -p auths-bench

## The reliability checks at full length (docs/reliability.md): schemathesis with 200
## examples an operation, 10 kill -9 rounds a backend, a 40 s PostgreSQL outage, a
## 20,000-auth export killed and one out of disk, and the race, limit and secrets tests.
## CI runs the same checks, bounded, in `make test`.
reliability:
	AUTHS_TEST_DATABASE_URL=$${AUTHS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	AUTHS_RELIABILITY_FULL=1 $(CARGO) test -p authsd --test faults -- --test-threads=1
	SCHEMATHESIS_MAX_EXAMPLES=200 python3 reliability/schemathesis.py
	AUTHS_TEST_DATABASE_URL=$${AUTHS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	$(CARGO) test -p authsd --test secrets --test slow_clients
	AUTHS_TEST_DATABASE_URL=$${AUTHS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	$(CARGO) test -p auths-http --test http -- limits races scope identity

## Refresh the admin page's screenshots in docs/admin-page/ (headless Chromium, through
## the browser test on SQLite).
screenshots:
	AUTHS_ADMIN_SCREENSHOTS=$(CURDIR)/docs/admin-page $(CARGO) test -p authsd --test admin_page
