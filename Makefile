# Two entry points a new user needs: `make run` (the whole loop on the bundled data) and
# `make test`. Both set up the pinned environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PREFECT_HOME ?= $(CURDIR)/.tuneloop/prefect
PYTEST_ARGS ?=

.PHONY: setup run test test-all lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

run: setup  ## the whole loop on the bundled data, as a Prefect flow
	mkdir -p "$(PREFECT_HOME)"  # Prefect creates only the last level of its home
	$(BIN)/tuneloop run

test: setup  ## the default suite (includes one whole-loop run on a small slice)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-all: setup  ## the default suite plus slow tests
	$(BIN)/python -m pytest -q -m "slow or not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:  ## remove everything a run produced (keeps the environment)
	rm -rf .tuneloop data/prepared data/splits data/batches data/batches.dvc data/quarantine \
		data/arrivals.jsonl data/versions.jsonl models reports dvc.lock
