# mutuo: every entry point creates or updates .venv idempotently first.
# torch is installed before anything else: `torch==2.13.0` is the CPU build that lies on
# our machines, whereas a bare `torch` (pulled in by sentence-transformers) would fetch a
# multi-GB CUDA build.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test test-slow lint bench clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mutuo demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m slow

bench: $(STAMP)
	mkdir -p bench-results
	$(BIN)/mutuo bench all --json | tee bench-results/latest.json

clean:
	rm -rf $(VENV) .mutuo .pytest_cache .mypy_cache .ruff_cache
