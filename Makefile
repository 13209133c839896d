# Two commands on a fresh machine: `make run` (install + ingest the bundled sample) and
# `make test` (install + lint + tests). Both install what they need, pinned, into .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test ui bench lint

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m pipelines ingest

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadfile

ui: $(STAMP)
	$(VENV)/bin/dagster dev

bench: $(STAMP)
	$(PY) -m pipelines bench --count $${COUNT:-100000}
