# Watchpost. `make run` and `make test` do all the set-up on a fresh machine (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.9
MANAGE := $(BIN)/python manage.py
# The ASGI server, chosen by the bench (docs/PERFORMANCE.md, "The ASGI server"): uvicorn on uvloop and
# httptools. Websockets without per-message deflate: browsers ask for it, and each socket would keep a
# compression context (memory) and spend CPU on every frame of JSON a board receives. No proxy headers:
# uvicorn would believe X-Forwarded-For from 127.0.0.1; the portal reads forwarded headers itself, from
# TRUSTED_PROXIES only (portal/requests.py). No lifespan: the portal has no start-up or shut-down hooks.
# The bench starts the same flags (tests/bench/common.py).
UVICORN_FLAGS := --loop uvloop --http httptools --ws websockets-sansio --ws-per-message-deflate false --no-proxy-headers --no-server-header --lifespan off
SERVE = $(BIN)/uvicorn --host $(HOST) --port $(PORT) $(UVICORN_FLAGS) portal.asgi:application

.PHONY: lock setup setup-browser run test test-unit test-browser bench chaos lint format web worker beat migrate healthcheck clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit("Watchpost needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	@touch $@

# The browser tests' own tool from the npm registry: axe-core, pinned by package-lock.json.
# Without npm the accessibility-checked browser tests skip here (and fail in CI).
setup-browser: node_modules/.installed

node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found (apt-get install npm): the browser tests that check accessibility will skip"; fi

# After changing pyproject.toml's dependencies: regenerate the pinned lock (never implicitly: a fresh
# clone's file times must not trigger a re-resolution).
lock: setup
	$(BIN)/uv pip compile -q pyproject.toml --extra dev -o requirements.lock

# The portal with demo data on the embedded default (SQLite, in-memory channel layer, eager jobs).
run: setup
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo
	$(MANAGE) generate_signing_key --if-missing
	@echo "Watchpost on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(SERVE)

# The whole suite. Browser tests run in their own pytest process (STACK_NOTES.md, trap 3).
test: test-unit test-browser

test-unit: setup
	$(BIN)/pytest -q --ignore=tests/e2e $(PYTEST_ARGS)

test-browser: setup setup-browser
	$(BIN)/pytest -q -p no:asyncio tests/e2e $(PYTEST_ARGS)

# Benchmarks, not part of `make test` (docs/PERFORMANCE.md): real PostgreSQL and Redis on this machine,
# in a database (watchpost_bench) and Redis database (12) of their own. BENCH_SCALE=small takes under ten
# minutes; full seeds a million incidents. Thousands of sockets need thousands of open files.
BENCH_SCALE ?= full
bench: setup
	ulimit -n 20000 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python -m tests.bench

# The fault run (docs/RELIABILITY.md), not part of `make test`: CHAOS_N escalations through the API
# while workers, web processes, Redis and PostgreSQL fail at random; exits non-zero on any loss.
# Its own database (CHAOS_DATABASE on CHAOS_PG, made afresh) and its own redis-server on a free
# port: it never stops the machine's services. The CI version is tests/chaos/test_fault_run.py.
CHAOS_N ?= 1000
chaos: setup
	ulimit -n 20000 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; CHAOS_N=$(CHAOS_N) $(BIN)/python -m tests.chaos

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/bandit -q -r accounts analytics audit bulletins debriefs dispatch exports incidents notifications patrols portal preparedness seeding -lll

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Production-style processes: everything comes from the environment (.env.example).
# With MIGRATE_DATABASE_URL (the tables' owner) the migrations run as the owner, and DATABASE_URL's
# role is then made the application's: it owns nothing and cannot rewrite the audit log (docs/audit.md).
migrate: setup
	DATABASE_URL="$${MIGRATE_DATABASE_URL:-$$DATABASE_URL}" $(MANAGE) migrate --noinput
	@if [ -n "$$MIGRATE_DATABASE_URL" ]; then \
		APP_DATABASE_URL="$$DATABASE_URL" DATABASE_URL="$$MIGRATE_DATABASE_URL" $(MANAGE) create_app_role; fi

# uvicorn with UVICORN_FLAGS above (no --proxy-headers: the portal reads forwarded headers itself, from
# TRUSTED_PROXIES only; README.md, "Behind a proxy").
web: migrate
	$(MANAGE) collectstatic --noinput -v0
	$(SERVE)

worker: setup
	$(BIN)/celery -A portal worker --loglevel=INFO --concurrency=$${WORKER_CONCURRENCY:-4}

beat: setup
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule=$${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}

healthcheck: setup
	$(MANAGE) healthcheck --url http://$(HOST):$(PORT)/healthz

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache
