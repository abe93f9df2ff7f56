# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint typecheck pytest test-postgres browser bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,deploy]'
	touch $@

## Set up, create the database and the demo council, and serve the app on http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/assess db upgrade
	$(BIN)/assess demo $(if $(DEMO_PASSWORD),--password '$(DEMO_PASSWORD)')
	@echo "Open http://127.0.0.1:$(PORT) and sign in with one of the accounts above."
	$(BIN)/assess run --port $(PORT)

## Set up and run everything CI checks: lint, types and the whole test suite (browser tests included)
test: setup browser lint typecheck pytest

lint: setup
	$(BIN)/ruff check assess scoring tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -q

## The suite again on PostgreSQL (ASSESS_TEST_DATABASE_URL must name a database it may empty)
test-postgres: setup browser
	@test -n "$$ASSESS_TEST_DATABASE_URL" || { echo "set ASSESS_TEST_DATABASE_URL"; exit 2; }
	$(BIN)/pytest -q

## Debian's Chromium for the browser tests (Playwright's own download does not work everywhere)
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Chromium: run 'sudo apt-get install chromium'"; exit 1; fi; }

## Benchmarks (not part of the test suite)
bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
