# Two commands on a fresh machine: `make run` (install + ingest the bundled sample) and
# `make test` (install + lint + import contracts + types + all tests). Both install what they
# need, pinned, into .venv. `make test-fast` is the loop for a change to a plain module: lint,
# contracts and the unit tests (without Dagster, and without the `slow` sweeps that `make test` runs).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint contracts typecheck ui sql bench

# One Dagster home for the command line, `make run`, `make ui` and the daemon, so every run
# shows in the UI and the schedule and sensor keep their state (git-ignored; the tests use
# their own). Set DAGSTER_HOME to use another.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

# The runtime packages: what mypy checks (bench/ and tests/ are tooling).
RUNTIME := recordpage schemas eligibility formats staging ingest warehouse report assets pipelines

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m pipelines ingest

# `ruff format --check .` joins once the tree is formatted (tests/unit/ingest/test_fetch.py is not).
lint: $(STAMP)
	$(PY) -m ruff check .

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(PY) -m mypy $(addprefix -p ,$(RUNTIME))

test-fast: lint contracts
	$(PY) -m pytest tests/unit -q -n 2 -m "not slow"

test: lint contracts typecheck
	$(PY) -m pytest -n 2 --dist loadfile

# `dg dev`: the UI and the daemon (schedules, sensors) on the project home; VIRTUAL_ENV tells
# dg the project's venv is the active one, as it would be after `source .venv/bin/activate`.
ui: $(STAMP)
	$(PY) -m pipelines.home
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/dg dev

# The warehouse, read-only, in the pinned DuckDB shell (fts loaded for the search macros).
sql: $(STAMP)
	$(PY) -m pipelines sql

bench: $(STAMP)
	$(PY) -m pipelines bench --count $${COUNT:-100000}
