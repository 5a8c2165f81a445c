# inbound: `make run` starts the whole system locally, `make test` runs the suite CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check lint types bench package clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/inbound up

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check app.py chalicelib inbound tests bench
	$(BIN)/ruff format --check app.py chalicelib inbound tests bench

types: install
	$(BIN)/mypy chalicelib inbound

check: lint types test

# `make bench BENCH="feedback queue"` runs only those (typical cold large feedback queue).
bench: install
	$(BIN)/python -m bench $(BENCH)

package: install
	rm -rf dist
	$(BIN)/inbound package --stage dev dist

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache
