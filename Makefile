# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint typecheck pytest test-postgres system-packages bench bench-web load-test wrk fuzz bench-sector bench-pack clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,deploy]'
	touch $@

## Set up, create the database and the demo council, and serve the app on http://127.0.0.1:$(PORT), with the
## worker that draws PDFs beside it (stopped with the app); links in emails start with that address too
## (ASSESS_RUN_PORT), unless BASE_URL is set
run: setup
	$(BIN)/assess db upgrade
	$(BIN)/assess demo $(if $(DEMO_PASSWORD),--password '$(DEMO_PASSWORD)')
	@echo "Open http://127.0.0.1:$(PORT) and sign in with one of the accounts above."
	export ASSESS_RUN_PORT=$(PORT); $(BIN)/assess worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/assess run --port $(PORT)

## Set up and run everything CI checks: lint, types and the whole test suite (browser tests included)
test: setup system-packages lint typecheck pytest

lint: setup
	$(BIN)/ruff check assess scoring tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -q

## The suite again on PostgreSQL (ASSESS_TEST_DATABASE_URL must name a database it may empty)
test-postgres: setup system-packages
	@test -n "$$ASSESS_TEST_DATABASE_URL" || { echo "set ASSESS_TEST_DATABASE_URL"; exit 2; }
	$(BIN)/pytest -q

## Debian packages the tests use: Chromium for browser tests (Playwright's own download does not
## work everywhere), qpdf and poppler-utils to check and render the PDFs
SYSTEM_PACKAGES := chromium qpdf poppler-utils
system-packages:
	@missing=""; for tool in chromium qpdf pdftoppm; do command -v $$tool >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "The tests need: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; fi; fi

## Benchmarks (not part of the test suite)
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

## Each page under gunicorn against a bare Flask endpoint, driven by wrk, on SQLite and on PostgreSQL
## (BENCH_POSTGRES: a database the benchmark may empty, created if missing; BENCH_SECONDS a run;
## BENCH_REPEAT runs of each, reported as medians; BENCH_PAGES some pages only, by name, comma-separated)
BENCH_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/assess_bench
BENCH_SECONDS ?= 5
BENCH_REPEAT ?= 1
bench-web: setup wrk
	$(BIN)/python -m bench.web --seconds $(BENCH_SECONDS) --repeat $(BENCH_REPEAT) --postgres $(BENCH_POSTGRES) $(if $(BENCH_PAGES),--pages '$(BENCH_PAGES)')

## 64 respondents saving their own sections for 60 s, then every acknowledged save checked in the database
load-test: setup
	$(BIN)/python -m bench.load --postgres $(BENCH_POSTGRES)

wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "The web benchmark needs: sudo apt-get install wrk"; exit 1; fi; }

## The fuzzers of the suite with many more examples (FUZZ_EXAMPLES each; on PostgreSQL too with ASSESS_TEST_DATABASE_URL)
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	ASSESS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/test_fuzz.py tests/test_api_contract.py

## The sector views against the raw SQL computing the same figures on a simulated sector, at 10% and 100% of the
## register and on a synthetic register ten times the size (SQLite; PostgreSQL too with BENCH_POSTGRES_URL, a database
## it may empty; BENCH_SECTOR_ARGS for more options, such as --times 1 or --no-plans: python -m bench.sector --help)
bench-sector: setup
	$(BIN)/python -m bench.sector $(if $(BENCH_POSTGRES_URL),--postgres '$(BENCH_POSTGRES_URL)') $(BENCH_SECTOR_ARGS)

## The peer-challenge pack of a round of 30 respondents x 7 questionnaires against a one-response profile PDF: time
## and peak memory as ratios measured in one run (SQLite; PostgreSQL too with BENCH_POSTGRES_URL, a database it may empty)
bench-pack: setup
	$(BIN)/python -m bench.pack $(if $(BENCH_POSTGRES_URL),--postgres '$(BENCH_POSTGRES_URL)')

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
