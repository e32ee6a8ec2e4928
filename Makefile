# Two commands on a fresh machine: `make run` and `make test`.
#   make run   venv, fonts + pango (PDF), front-end assets, `flask init-db`, `flask seed-demo` (prints demo logins), serve on HOST:PORT
#              with the background worker (`flask jobs worker`) beside it
#   make test  venv, system packages, assets; the suite on SQLite (browser tests included), then again on a
#              throwaway PostgreSQL cluster without browser tests; fails if either run fails.
# Options: PYTEST_ARGS="-k login -x"; XDIST="-n 0" for no parallelism; STRICT=1 (default when CI=true) turns
# "skipped because chromium/postgresql/npm is missing" into a failure.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
XDIST ?= -n 2
PYTEST_ARGS ?=
ifeq ($(CI),true)
STRICT ?= 1
else
STRICT ?= 0
endif
export STRICT
export FLASK_APP := wsgi.py

.PHONY: run test test-sqlite test-postgres test-browser venv sysdeps sysdeps-run assets db bench bench-sqlite \
	bench-sqlite-http bench-postgres bench-postgres-http bench-query bench-onboard clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Debian packages for the tests (chromium, fonts-noto-cjk, postgresql), installed only when missing.
sysdeps:
	@scripts/sysdeps.sh

# What the running app needs from Debian: Chinese fonts and pango for PDF (采集表, dossiers).
sysdeps-run:
	@scripts/sysdeps.sh fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0

# bpmn-js, its properties panel and echarts copied from node_modules into app/static/vendor/ (gitignored).
assets: app/static/vendor/VERSIONS.json

app/static/vendor/VERSIONS.json: package.json $(wildcard package-lock.json) scripts/assets.sh
	@scripts/assets.sh

db: venv
	$(VENV)/bin/flask init-db
	$(VENV)/bin/flask seed-demo

# The job queue's consumer (`flask jobs worker`: 核验, exports, 党员信息同步) runs beside the server and is
# stopped with it; production runs it as its own process (README → Background jobs).
run: sysdeps-run assets db
	@$(VENV)/bin/flask jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(VENV)/bin/flask run --host $(HOST) --port $(PORT)

test: venv sysdeps assets
	@rc=0; t0=$$SECONDS; \
	$(MAKE) --no-print-directory test-sqlite || rc=1; t1=$$SECONDS; \
	$(MAKE) --no-print-directory test-postgres || rc=1; t2=$$SECONDS; \
	echo "make test: SQLite run $$((t1 - t0))s, PostgreSQL run $$((t2 - t1))s -> $$([ $$rc = 0 ] && echo PASSED || echo FAILED)"; \
	exit $$rc

CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

test-sqlite: venv
	@echo "== test suite on SQLite =="
	@test -x $(CHROMIUM_PATH) || echo "!!!!!!!! $(CHROMIUM_PATH) missing: browser tests will be SKIPPED (STRICT=1 fails) !!!!!!!!" >&2
	$(PY) -m pytest -q -rs $(XDIST) $(PYTEST_ARGS)

test-postgres: venv
	@echo "== test suite on PostgreSQL (no browser tests) =="
	scripts/pg_test.sh $(PY) -m pytest -q -rs $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-browser: venv sysdeps assets
	$(PY) -m pytest -q $(XDIST) -m browser $(PYTEST_ARGS)

# Each figure of README's Benchmarks section from one command (see bench/README.md).
bench: bench-sqlite bench-sqlite-http bench-postgres bench-postgres-http
	$(PY) bench/reports.py --persons 10000

bench-sqlite: venv
	$(PY) bench/run.py

bench-sqlite-http: venv
	$(PY) bench/run.py --http

bench-postgres: venv
	$(PY) bench/run.py --db postgresql

bench-postgres-http: venv
	$(PY) bench/run.py --db postgresql --http

# 综合查询 on 100,000 persons (about 6 minutes of seeding, 5.4 GiB in a temp dir).
bench-query: venv
	$(PY) bench/query.py

# 数据导入 of 10,000 persons: dry run and import (SQLite).
bench-onboard: venv
	$(PY) bench/onboard.py

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules app/static/vendor
