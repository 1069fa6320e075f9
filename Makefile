# bangban — two commands for a user: `make run` and `make test`. Everything they need is
# installed from here, so a fresh clone on a fresh machine works.
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= $(or $(DATABASE_URL),postgres://root@127.0.0.1:5432/bangban)
# Extra environment of the PostgreSQL test run (`make test` sets its own var dir and Redis pair).
PG_TEST_ENV ?=
SYSTEM_PACKAGES := chromium fonts-noto-cjk gettext libpango-1.0-0 libpangoft2-1.0-0 poppler-utils

.PHONY: run test test-sqlite test-pg lint format messages assets install system-deps redis demo clean docs bench bench-smoke soak fuzz lock audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall when the dependency list changes. The versions are the locked ones
# (requirements.lock, written by `make lock` from what pyproject.toml's ranges installed).
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

src/bangban/static/vendor/.built: node_modules/.installed scripts/vendor.mjs
	npm run --silent vendor
	touch $@

assets: src/bangban/static/vendor/.built

.env:
	$(BIN)/python scripts/make_env.py .env

# Debian packages the browser tests and the PDF/font checks need; installed only when missing
# and only when we are root (otherwise the missing ones are named).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install Debian packages:$$missing"; exit 1; fi; \
	fi

run: install assets .env
	$(BIN)/bangban migrate --noinput
	$(BIN)/bangban demo --if-empty --seed 1
	$(BIN)/bangban collectstatic --noinput -v 0
	@echo "bangban: http://127.0.0.1:$(PORT)/"
	@# The background worker (imports, exports, later notifications) lives as long as the server.
	$(BIN)/bangban db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn bangban.config.wsgi -b 127.0.0.1:$(PORT) -w 2 --access-logfile -

demo: install .env
	$(BIN)/bangban migrate --noinput
	$(BIN)/bangban demo --seed 1

lint: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests scripts bench
	$(BIN)/ruff check --fix src tests scripts bench

messages: install
	cd src/bangban && ../../$(BIN)/bangban makemessages -l zh_Hans --no-obsolete --no-location
	cd src/bangban && ../../$(BIN)/bangban compilemessages -l zh_Hans

# The RQ task-queue and shared-cache tests need a local Redis; started (or installed) when missing.
redis:
	@bash scripts/ensure_redis.sh || { echo "Redis is unreachable at 127.0.0.1:6379 and could not be started"; exit 1; }

test-sqlite: install assets .env redis
	env -u DATABASE_URL $(BIN)/pytest

test-pg: install assets .env redis
	@bash scripts/ensure_postgres.sh "$(PG_URL)" || { \
	  if [ "$$CI" = true ]; then echo "PostgreSQL is unreachable at $(PG_URL): failing under CI"; exit 1; fi; \
	  echo "PostgreSQL unreachable: skipping the PostgreSQL run (CI would fail)"; exit 0; }; \
	DATABASE_URL="$(PG_URL)" $(PG_TEST_ENV) $(BIN)/pytest

# The user manual: the browser test takes every screenshot (on the demo county) into
# var/manual/img, failing when one is missing; the build writes the HTML pages and the PDFs
# into var/manual/site (also served under /help/).
docs: system-deps install assets .env
	env -u DATABASE_URL $(BIN)/pytest -p no:randomly tests/e2e/test_manual_screenshots.py
	$(BIN)/bangban manual build

# The benchmark (bench/README.md): SCALE cases on PostgreSQL when DATABASE_URL is set (in its
# own database, <name>_bench), else on SQLite in var/bench. Results go to bench/results/.
SCALE ?= 100000
bench: install .env
	$(BIN)/python bench/run.py --scale $(SCALE)

# The smoke run `make test` makes, so the benchmark keeps working: small, PostgreSQL, no
# timing asserted, no result file written.
bench-smoke: install .env
	@bash scripts/ensure_postgres.sh "$(PG_URL)" || { echo "PostgreSQL unreachable: the bench smoke needs it"; exit 1; }
	DATABASE_URL="$(PG_URL)" $(BIN)/python bench/run.py --scale 2000 --requests 5 --seconds 3 --no-write

# The two suites run side by side, one per CPU (about 40 % less wall time than one after the
# other). The PostgreSQL run keeps its files (uploads, built fonts, screenshots) and its Redis
# databases apart from the SQLite run's; each run's output is printed when it ends.
test: system-deps install assets .env lint audit redis
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-pg \
	  PG_TEST_ENV="BANGBAN_VAR_DIR=$(CURDIR)/var/test-pg BANGBAN_TEST_REDIS_DB=13"
	$(MAKE) --no-print-directory bench-smoke

clean:
	rm -rf $(VENV) node_modules src/bangban/static/vendor var

# The soak (bench/soak.py): half the measured peak for SOAK_MINUTES on the bench database
# (SOAK_SCALE generated cases; SOAK_ARGS=--reuse keeps the last set). Reports errors (exit 1
# when any), the p95 drift and gunicorn's memory growth; writes bench/results/soak-<date>.json.
# A tool, not a test: `make test` never runs it.
SOAK_SCALE ?= 20000
SOAK_MINUTES ?= 15
SOAK_ARGS ?=
soak: install .env
	$(BIN)/python bench/soak.py --scale $(SOAK_SCALE) --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

# The locked dependencies (requirements.lock: every runtime and test package, as installed)
# and their known vulnerabilities. `make audit` fails only on a vulnerability found; when no
# vulnerability service is reachable it says the audit was not done (AUDIT_REQUIRE_SERVICE=1
# makes that fail too).
lock: install
	$(BIN)/python scripts/lock.py

audit: install
	$(BIN)/python scripts/audit.py

# The fuzzed API run long (scripts/fuzz.py, the test tests/security/test_api_fuzz.py with many
# more examples): EXAMPLES generated requests per operation and role, on a database of its own
# (<name>_fuzz on PostgreSQL when DATABASE_URL is set, else SQLite in var/fuzz). Results go to
# bench/results/fuzz-<date>.json; fails when anything was found.
EXAMPLES ?= 200
fuzz: install .env
	$(BIN)/python scripts/fuzz.py --examples $(EXAMPLES)
