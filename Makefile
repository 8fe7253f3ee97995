# EchoTune: `make demo` and `make test` do all the set-up on a fresh machine (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test bench catalog vectors lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: the CPU wheel this machine has; any other torch request pulls a multi-GB CUDA build.
$(VENV)/.base: pyproject.toml setup.py | $(BIN)/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) install -e '.[dev,mongo,redis]'
	@touch $@

## The main job: the demo on the embedded defaults (a tour when stdin is not a terminal).
demo: $(VENV)/.base
	$(BIN)/echotune demo

## The whole test suite (Debian packages it needs are installed first). scripts/run-tests.sh fails on
## pytest's exit 5 (no tests) and on any file the tests leave in the repository.
test: $(VENV)/.dev
	bash scripts/system-deps.sh
	PYTHON=$(BIN)/python bash scripts/run-tests.sh

## The performance table (benchmarks/README.md says what each row measures).
bench: $(VENV)/.dev
	$(BIN)/python -m benchmarks

## Rebuild the bundled catalog from ../shared/data/musicoset (byte-identical when the source is unchanged).
catalog: $(VENV)/.base
	$(BIN)/python -m echotune.tools.catalog_build ../shared/data/musicoset

## Re-encode the bundled catalog's recommendation vectors (tools/data/vectors.*; about a minute on 2 free cores).
vectors: $(VENV)/.base
	$(BIN)/python -m echotune.tools.recommender.vectors

lint: $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
