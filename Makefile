# Two commands on a fresh machine: `make demo` and `make test` (README, Quick start).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
PG_URL ?= postgres://postgres@127.0.0.1:5432
PYTEST_ARGS ?=

.PHONY: install system-deps demo serve test test-sqlite test-postgres lint lock openapi check-openapi

install: $(VENV)/.installed

# Idempotent and quick when nothing changed: the stamp depends on the lock file.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=68" wheel
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Debian packages the browser tests and PDFs need; installed with apt-get when absent and root.
system-deps:
	@bash scripts/system-deps.sh

demo: install
	$(VENV)/bin/jiuzhu demo

serve: install
	$(VENV)/bin/jiuzhu serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy jiuzhu
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=jiuzhu.settings.base $(PY) manage.py makemigrations --check --dry-run
	JIUZHU_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) DJANGO_SETTINGS_MODULE=jiuzhu.settings.production \
		$(PY) manage.py check --deploy --fail-level WARNING

check-openapi: install
	$(PY) -m jiuzhu.core.openapi --check docs/openapi.json

openapi: install
	$(PY) -m jiuzhu.core.openapi --write docs/openapi.json

# Every test, on SQLite (the embedded default) and on PostgreSQL, each in a fresh database.
test: install system-deps lint check-openapi test-sqlite test-postgres

test-sqlite: install
	JIUZHU_DATABASE_URL=sqlite:///var/test-$$$$.sqlite3 $(PYTEST) $(PYTEST_ARGS)

# The rules engine's tests touch no database (packs, cases, DuckDB/Spark over Parquet): they run once.
test-postgres: install
	JIUZHU_DATABASE_URL=$(PG_URL)/jiuzhu_ci_$$$$ $(PYTEST) --ignore=jiuzhu/rules $(PYTEST_ARGS)

# Re-lock after changing pyproject.toml dependencies.
lock:
	rm -rf /tmp/jiuzhu-lock && python3 -m venv /tmp/jiuzhu-lock
	/tmp/jiuzhu-lock/bin/pip install --quiet --upgrade pip && /tmp/jiuzhu-lock/bin/pip install --quiet -e '.[dev,spark]'
	/tmp/jiuzhu-lock/bin/pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
