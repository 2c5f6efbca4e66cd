# Custos: the two commands a new user runs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# Debian packages, split by who needs them so that `make run` installs only what running needs.
# Running: ffmpeg (media metadata, derivatives and the demo's media), libmagic1 (type detection),
# and pango, harfbuzz-subset and Noto fonts for WeasyPrint (case-file report and transcript PDFs).
RUN_PACKAGES := ffmpeg libmagic1 gnupg libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core
# Testing: age and minisign (interop with the reference tools), openssl (a local RFC 3161 TSA and
# `openssl ts -verify`), Chromium for the end-to-end tests
# (Playwright drives /usr/bin/chromium; it never downloads one), and redis-server, which the suite
# starts privately on a free port (tests/helpers/redis_server.py) so nothing need listen on 6379.
TEST_PACKAGES := age minisign openssl chromium redis-server
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test install install-dev system-deps test-system-deps lint pytest-passes pytest-sqlite \
  pytest-postgres bench clean \
  translations load load-steps

# On an empty database `make run` loads the demo investigation (fictional content; its accounts
# are printed once) and first-run then finds accounts and creates none. `make run DEMO=0` skips
# the demo: first-run then creates the first administrator instead. Neither touches a database
# that already holds accounts or investigations.
DEMO ?= 1
run: system-deps install
	@$(FLASK) keys init --if-missing
	@$(FLASK) db upgrade
	@if [ "$(DEMO)" != 0 ]; then $(FLASK) demo load --if-empty; fi
	@$(FLASK) users first-run
	$(FLASK) run --host 127.0.0.1 --port 5000

test: system-deps test-system-deps install-dev lint pytest-passes

# Installs whichever of the packages it is given are missing, with apt (through sudo when not root).
define apt_install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "Could not install:$$missing. Install them with your package manager and retry."; exit 1; }; \
	fi
endef

system-deps:
	$(call apt_install_missing,$(RUN_PACKAGES))

test-system-deps:
	$(call apt_install_missing,$(TEST_PACKAGES))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt constraints.txt
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# bandit: no finding of medium or high severity in app/ (issue 8); each accepted one carries a
# `# nosec Bxxx: reason` comment where it is.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -r app --severity-level medium --quiet

# The SQLite and PostgreSQL passes at the same time, one per core (tools/test_passes.sh: the
# PostgreSQL pass's output follows the SQLite pass's, and the last lines name each one's result).
pytest-passes: install-dev
	@PYTHON=$(BIN)/python PG_TEST_URL="$(PG_TEST_URL)" tools/test_passes.sh

# Each pass alone.
pytest-sqlite: install-dev
	CUSTOS_TEST_DB=sqlite $(BIN)/python -m pytest -q

# In CI the PostgreSQL run is mandatory and fails if the server is missing; elsewhere it runs
# when TEST_DATABASE_URL is set and says plainly that it was skipped otherwise.
pytest-postgres: install-dev
	@if [ "$(CI)" = "true" ] || [ -n "$(TEST_DATABASE_URL)" ]; then \
	  CUSTOS_TEST_DB=postgresql TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$(PG_TEST_URL)}" \
	    $(BIN)/python -m pytest -q -m "not nodb and not once"; \
	else \
	  echo "SKIPPED: the PostgreSQL run (set TEST_DATABASE_URL=$(PG_TEST_URL) to run it)"; \
	fi

# Messages: extract every string from app/ and templates/ (babel.cfg), merge them into each
# language's .po (new ones arrive empty, reworded ones fuzzy: both need a translator), and compile
# the .mo files the app reads. The .mo files are committed, so `make run` needs no compile step;
# tests/test_i18n.py fails while a .po is untranslated, fuzzy or out of step with its .mo.
TRANSLATIONS := app/translations
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --add-location=file --sort-output \
	  --ignore-dirs=".* __pycache__" \
	  -c TRANSLATORS: --project=Custos --copyright-holder=Custos -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

# The benchmarks whose budgets name PostgreSQL run on the same server as the tests, each in a
# throwaway database of its own.
bench: install-dev
	BENCH_PDQ_DATABASE_URL="$${BENCH_PDQ_DATABASE_URL:-$(PG_TEST_URL)}" \
	BENCH_RETENTION_DATABASE_URL="$${BENCH_RETENTION_DATABASE_URL:-$(PG_TEST_URL)}" \
	  $(BIN)/python -m benchmarks

# The load test (issue 8): 50 field users uploading 1-20 MB and 20 lawyers streaming, for 3
# minutes, against gunicorn, its own PostgreSQL database, S3 (moto) and Redis with RQ workers,
# then every upload and the ledger are verified (benchmarks/load/, docs/performance.md).
# Needs PostgreSQL and Redis on 127.0.0.1; CUSTOS_LOAD_PG_URL / CUSTOS_LOAD_REDIS_URL override.
load: system-deps test-system-deps install-dev
	$(BIN)/python -m benchmarks.load

# How much one machine holds (issue 24): field users and lawyers added in steps until the p95
# page latency passes 1 s or a request fails, on S3 (moto) and on the local blob store; the
# largest load each held (benchmarks/load/steps.py, docs/performance.md). Same services as `load`.
load-steps: system-deps test-system-deps install-dev
	$(BIN)/python -m benchmarks.load.steps

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
