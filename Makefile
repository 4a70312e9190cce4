# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1 && echo uv || echo python3 -m uv)
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := DEBUG=1

.PHONY: run test install uv migrate demo lint format e2e-deps bench

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: uv
	$(UV) sync --frozen

# The browser tests' tools: axe-core from the npm registry, Chromium from Debian (never a downloaded build).
e2e-deps:
	npm ci --no-audit --no-fund --silent
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

migrate: install
	$(DEV_ENV) $(UV) run --frozen python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(UV) run --frozen python manage.py loaddemo

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/"
	$(DEV_ENV) $(UV) run --frozen python manage.py runserver $(HOST):$(PORT)

# The whole suite on the database of DATABASE_URL (PostgreSQL in CI); SQLite when it is unset.
test: install
	@test -d node_modules/axe-core || npm ci --no-audit --no-fund --silent || echo "npm ci failed: browser tests will be skipped locally"
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-that-is-long-enough-for-the-settings-check-xxxx} \
	$(UV) run --frozen pytest --create-db $(PYTEST_ARGS)

# ruff, and the import-linter contracts of pyproject.toml: a wrong-way import between layers fails the build.
lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# The benchmark (docs/benchmarks.md): a large data set in its own database (dropped and recreated, never the
# test one), gunicorn with 2 sync workers and DEBUG off, Redis as the shared cache (as in production), wrk from
# Debian on loopback. BENCH_ARGS: e.g. --reseed.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/registry_bench
bench: install
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost,testserver \
	SECRET_KEY=$${SECRET_KEY:-$$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')} \
	$(UV) run --frozen python -m bench $(BENCH_ARGS)
