# auditbridge: the front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export UV_COMPILE_BYTECODE := 1
export AUDITBRIDGE_HOME ?= $(CURDIR)/.auditbridge
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench stop server clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv/ and install auditbridge with its dev tools (idempotent)

demo: install ## Run the audit on the bundled demo data and publish it to the embedded store
	$(BIN)/auditbridge demo $(if $(PERIOD),--period $(PERIOD))

test: install ## Run the test suite (starts its own SeaweedFS and Prefect)
	@bash scripts/ensure-test-deps.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## Ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Benchmarks with fixed seeds: prints figures and ratios
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

server: install ## A local Prefect server with the UI, a worker and the deployments
	$(BIN)/auditbridge server start

stop: ## Stop the local Prefect server and the embedded object store
	@if [ -x $(BIN)/auditbridge ]; then $(BIN)/auditbridge server stop; fi  # worker, server and object store

clean: stop ## Stop everything and remove the local state (store data, Prefect database)
	rm -rf .auditbridge
