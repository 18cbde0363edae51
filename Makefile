# The one entry point, locally and in CI. Only Python 3.11+ and make are needed up front.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
SERVICES := ingest moderation publisher analytics workspace inbox
# The runtime packages, and the tools kept beside them (training, evaluation, generated docs).
TYPED := shared/src services/*/src $(wildcard shared/tools services/*/tools) deploy/local
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: help install up token test test-clock-ahead test-reliability fuzz lint fmt typecheck migrate revision docs bench-outbox bench-ingest bench-moderation bench-publisher bench-x-tokens bench-analytics bench-inbox bench-inbox-stream eval-moderation eval-learning train-moderation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

# Bytecode is compiled once here, as in the image: every test worker, service and stack process
# would otherwise compile the libraries it imports again, where PYTHONDONTWRITEBYTECODE is set.
.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --compile-bytecode
	@touch $@

# The local OpenID Connect issuer (tests and `make up`): node-oidc-provider, locked.
deploy/oidc/node_modules/.installed: deploy/oidc/package.json deploy/oidc/package-lock.json
	npm ci --prefix deploy/oidc --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced deploy/oidc/node_modules/.installed ## install the locked dependencies (.venv, deploy/oidc)

up: install ## run the whole stack (embedded Postgres and broker unless DATABASE_URL/KAFKA_BOOTSTRAP)
	$(RUN) python deploy/local/stack.py

token: install ## an access token of the demo user from the issuer `make up` runs (make token USER_SUBJECT=demo)
	@$(RUN) python -m beacon_shared.embedded_oidc $(or $(USER_SUBJECT),demo)

# Each test worker starts its own servers (or gets a database of its own on DATABASE_URL's). One
# worker more than the cores: part of the suite waits on the broker, timers and child processes.
TEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN) + 1 )))
test: install ## run the whole test suite on embedded real servers, one worker more than the cores
	$(RUN) pytest -q -n $(TEST_WORKERS) --durations=20

# PostgreSQL keeps the real clock: under libfaketime its lock and statement timeouts never fire.
test-clock-ahead: install ## the whole suite with the clock a year ahead (needs libfaketime)
	@command -v faketime >/dev/null || { echo "needs libfaketime: apt-get install faketime"; exit 2; }
	FAKETIME_SKIP_CMDS=postgres,pg_ctl,initdb,psql faketime -f '+365d' $(RUN) pytest -q -p no:cacheprovider

test-reliability: install ## the fault suite: faults under load on real processes, counts of lost and duplicated (~4 min)
	$(RUN) pytest -q -m reliability tests/reliability

fuzz: install ## schemathesis over every service's OpenAPI, longer than in make test (FUZZ_EXAMPLES=200)
	BEACON_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) $(RUN) pytest -q tests/fuzz

lint: install ## formatting, lint, types and architecture contracts
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) mypy $(TYPED)
	$(RUN) lint-imports

fmt: install ## format and auto-fix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: install ## mypy --strict
	$(RUN) mypy $(TYPED)

migrate: install ## migrate every schema (needs DATABASE_URL)
	$(RUN) alembic -c shared/alembic.ini upgrade head
	@for s in $(SERVICES); do $(RUN) alembic -c services/$$s/alembic.ini upgrade head || exit 1; done

revision: install ## new migration: make revision SVC=ingest MSG="add x" (needs DATABASE_URL)
	$(RUN) alembic -c services/$(SVC)/alembic.ini revision --autogenerate -m "$(MSG)"

docs: install ## regenerate docs/asyncapi.yaml and docs/events.md from the contracts
	$(RUN) python -m beacon_tools.event_docs

bench-outbox: install ## outbox relay throughput and commit-to-broker latency
	$(RUN) python -m bench.outbox

bench-ingest: install ## signed Meta webhooks against a bare 202 endpoint; loss and duplicates
	$(RUN) python -m bench.ingest

bench-moderation: install ## classifier comments/s on one core; comment-to-decision latency at 1,000/s
	$(RUN) python -m bench.moderation

bench-publisher: install ## 10,000 posts due in one minute on a fake Mastodon: lateness, duplicates, a worker killed
	$(RUN) python -m bench.publisher

bench-x-tokens: install ## a day of posts on X accounts whose tokens expire every 2 h, 360x faster: refreshes, lateness
	$(RUN) python -m bench.x_token_day

bench-analytics: install ## events/s aggregated against raw consume; freshness; summary over 10 M events
	$(RUN) python -m bench.analytics

bench-inbox: install ## 1 M conversations, 5 M messages: list views, counts and search, p50/p99
	$(RUN) python -m bench.inbox

bench-inbox-stream: install ## signed Meta webhooks into ingest at 500/s to the inbox's live stream: latency p50/p99
	$(RUN) python -m bench.inbox_stream

eval-moderation: install ## classifier figures per labelled CSV: make eval-moderation MODERATION_DATA_DIR=<dir>
	@test -n "$(MODERATION_DATA_DIR)" || { echo "set MODERATION_DATA_DIR to a directory of labelled CSVs"; exit 2; }
	$(RUN) python -m moderation_tools.evaluate "$(MODERATION_DATA_DIR)" services/moderation/tests/data

train-moderation: install ## train the shared classifier's models: make train-moderation MODERATION_DATA_DIR=<dir>
	@test -n "$(MODERATION_DATA_DIR)" || { echo "set MODERATION_DATA_DIR to a directory of labelled CSVs"; exit 2; }
	$(UV) run --frozen --package beacon-moderation --extra train python -m moderation_tools.train "$(MODERATION_DATA_DIR)"

eval-learning: install ## per-brand models against the shared classifier: make eval-learning MODERATION_DATA_DIR=<dir>
	@test -n "$(MODERATION_DATA_DIR)" || { echo "set MODERATION_DATA_DIR to a directory of labelled CSVs"; exit 2; }
	$(RUN) python -m moderation_tools.evaluate_learning "$(MODERATION_DATA_DIR)"

clean: ## remove local state (.data holds the local stack's database)
	rm -rf .venv $(TOOLS) .data .pytest_cache .mypy_cache .ruff_cache
