# Two entry points a new user needs: `make run` (the whole loop on the bundled data) and
# `make test`. Both set up the pinned environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PREFECT_HOME ?= $(CURDIR)/.tuneloop/prefect
PYTEST_ARGS ?=
# Test files spread over this many processes (pytest-xdist; each file stays in one process, so
# its module fixtures are built once). 2 fits the 2-core CI machine; 0 runs them all in one.
TEST_WORKERS ?= 2

.PHONY: setup browser run test test-all lint bench clean clean-all

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

run: setup  ## the whole loop on the bundled data, as a Prefect flow
	mkdir -p "$(PREFECT_HOME)"  # Prefect creates only the last level of its home
	$(BIN)/tuneloop run

# The report test opens `tuneloop report` in a real headless browser: Debian's Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: setup browser  ## the default suite (includes one whole-loop run on a small slice)
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-all: setup browser  ## the default suite plus slow tests
	mkdir -p "$(PREFECT_HOME)"
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "slow or not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

# What a run rebuilds: the accepted batches (re-ingested from data/incoming) and their ledgers,
# the training window, splits, models and reports.
RUN_PRODUCTS := data/prepared data/splits data/batches data/batches.dvc data/quarantine \
	data/arrivals.jsonl data/versions.jsonl models reports dvc.lock
# The project's record, which nothing rebuilds: the MLflow registry (mlflow.db, mlartifacts/),
# the promotion audit log, the decision ledger, the DVC remote and Prefect's home.
RECORD := .tuneloop

clean:  ## remove what a run produced; keeps the record (.tuneloop/) and the environment
	rm -rf $(RUN_PRODUCTS)
	@echo "kept $(RECORD)/ (registry, audit log, decision ledger, DVC remote): make clean-all removes it too"

clean-all: clean  ## also remove the record: registry, audit log, decision ledger, DVC remote
	rm -rf $(RECORD)
