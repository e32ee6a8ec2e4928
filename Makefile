# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test test-sqlite test-postgres venv db bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

db: venv
	$(VENV)/bin/flask init-db
	$(VENV)/bin/flask seed-demo

run: db
	$(VENV)/bin/flask run --host $(HOST) --port $(PORT)

test: venv
	$(PY) -m pytest -q -n 2

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
