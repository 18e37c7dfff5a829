# FieldOps: `make run` serves the API on the embedded SQLite + SpatiaLite database with demo
# data; `make test` runs the whole suite on SpatiaLite and again on PostgreSQL + PostGIS.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
export SPATIALITE_LIBRARY_PATH ?= mod_spatialite
export TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?= -q

.PHONY: run test test-spatialite test-postgis lint bench setup compiled-search spatialite debian-packages \
	pg-client chromium translations jq-curl fuzz clean

setup: $(VENV)/.installed spatialite debian-packages translations jq-curl chromium compiled-search

# The optimizer's compiled search (optimizer.sisr, numba): compiled once into its cache here,
# not during the first plan.
compiled-search: $(VENV)/.installed
	@$(BIN)/python -c "from optimizer.sisr import warm; print(f'compiled search ready ({warm():.1f} s)')"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev,postgres,worker]'
	touch $@

spatialite:
	@scripts/ensure-spatialite

debian-packages:
	@scripts/ensure-debian-packages

# pg_dump/pg_restore for `flask backup`/`flask restore` on PostgreSQL (when a server answers).
pg-client: | $(BIN)/python
	@PY=$(BIN)/python scripts/ensure-pg-client

# Headless Chromium and its driver for the console's browser tests (tests/console/).
chromium:
	@scripts/ensure-chromium

# Compile the committed .po catalogues to .mo (the app also does it at start when missing).
translations: $(VENV)/.installed
	$(BIN)/python -c "from app.i18n import compile_catalogues; compile_catalogues()"

# jq and curl: the README's examples, run by tests/test_readme.py.
jq-curl:
	@scripts/ensure-jq-curl

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@scripts/warn-public-url $(HOST) $(PORT)
	$(BIN)/flask maintenance generate
	@echo "FieldOps on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)"
	FIELDOPS_SCHEDULER=1 $(BIN)/flask run --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check app optimizer tests benchmarks migrations
	$(BIN)/mypy

# The two passes run side by side (each is mostly one busy core): the PostGIS pass on other
# Redis databases (TEST_REDIS_SHIFT) and each in its own temporary folder. Each pass's output is
# printed whole when it ends. `make test-spatialite` / `make test-postgis` run one alone.
test: lint pg-client
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-spatialite test-postgis

test-spatialite: setup
	@echo "== tests on SQLite + SpatiaLite =="
	TEST_DATABASE=spatialite $(BIN)/python -m pytest $(PYTEST_ARGS) \
	  --basetemp=$${TMPDIR:-/tmp}/fieldops-tests-spatialite

# In CI the PostGIS pass is mandatory; elsewhere it runs when a server is reachable.
test-postgis: setup pg-client
	@rc=0; PY=$(BIN)/python scripts/ensure-postgis || rc=$$?; \
	if [ $$rc -eq 3 ]; then \
	  if [ -n "$$CI" ]; then echo "CI: PostgreSQL is required at $$TEST_POSTGRES_URL" >&2; exit 1; fi; \
	  echo "== PostGIS pass not run: no PostgreSQL server at $$TEST_POSTGRES_URL =="; exit 0; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	echo "== tests on PostgreSQL + PostGIS =="; \
	TEST_DATABASE=postgis TEST_REDIS_SHIFT=$${TEST_REDIS_SHIFT:-7} $(BIN)/python -m pytest \
	  $(PYTEST_ARGS) --basetemp=$${TMPDIR:-/tmp}/fieldops-tests-postgis

bench: setup
	$(BIN)/pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/solomon.py --limit-s 10

# The long schemathesis run (all phases incl. stateful links, all checks) against a served app
# on a scratch database with demo data; FUZZ_SECONDS (600), FUZZ_DATABASE_URL, FUZZ_ARGS.
fuzz: setup
	PY=$(BIN)/python scripts/fuzz

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
