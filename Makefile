# inbound: `make run` starts the whole system locally, `make check` is the gate CI runs
# (.ci/run): lint, types and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra pytest arguments for any test target: `make test-fast PYTEST_ARGS="-k bounce --lf"`.
PYTEST_ARGS ?=
# The long tiers spread over the cores (pytest-xdist). A worker takes whole files, so a module's
# shared stack (embedded, or one `inbound up`) is built once, and the slow files start first
# (tests/conftest.py). One worker more than there are cores: the e2e tier spends about a
# quarter of its time waiting on `inbound up`, browsers and mail (gate of 2026-12-07: 750 s of
# CPU in 983 s of tests on 2 cores), and a third worker fills those waits (8:29 -> 7:48).
# `make test PARALLEL=` runs in one process (as --sw needs).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')
PARALLEL ?= -n $(TEST_WORKERS) --dist loadfile
# The tests start a few hundred Python processes (`inbound up`, its Lambda containers, the CLI).
# Where the environment sets PYTHONDONTWRITEBYTECODE (this machine does), each of them compiled the
# project's modules again, and pytest rewrote every test module in every worker: an empty value
# lets them keep their bytecode in __pycache__/ (ignored by git), as a developer's machine does.
test test-fast e2e test-random: export PYTHONDONTWRITEBYTECODE =

.PHONY: install run test test-fast e2e test-random check lint types bench package clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/inbound up

# Every tier CI needs. -ra ends the run with the skipped, failed and errored tests and why.
# pytest exits 5 when it ran no test at all (a wrong path or marker): make fails on it too.
test: install
	$(BIN)/pytest -ra $(PARALLEL) $(PYTEST_ARGS)

# The edit loop, under a minute: the pure unit tier, the service tests on in-memory fakes
# and the fakes' side of the port contracts (their adapters' side, on moto, is in `make test`);
# no sockets, no moto, and not the sweeps over the shared corpus (marker `corpus`).
test-fast: install
	$(BIN)/pytest tests/unit tests/services tests/contracts -m "not corpus" -k "fake or not contracts" -q $(PYTEST_ARGS)

# The local stack over real SMTP/HTTP, the browser, the deploy: every test marked e2e.
e2e: install
	$(BIN)/pytest -m e2e -ra $(PARALLEL) $(PYTEST_ARGS)

# The whole suite in a random order (pytest-randomly; off by default). The seed it prints
# replays the order: `make test-random PYTEST_ARGS=--randomly-seed=N`.
test-random: install
	$(BIN)/pytest -p randomly -ra $(PARALLEL) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app.py chalicelib inbound tests bench
	$(BIN)/ruff format --check app.py chalicelib inbound tests bench

types: install
	$(BIN)/mypy chalicelib inbound

check: lint types test

# `make bench BENCH="feedback queue"` runs only those (typical cold large feedback queue search burst).
bench: install
	$(BIN)/python -m bench $(BENCH)

package: install
	rm -rf dist
	$(BIN)/inbound package --stage dev dist

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache
