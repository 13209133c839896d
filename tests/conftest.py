"""Shared by both speeds of tests: where the project and the shared real records are.

Nothing here imports Dagster or the pipeline, so `tests/unit` collects without them; the helpers
that run an ingest live in `tests/integration/conftest.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared" / "records"
SEED = SHARED / "seed" / "NCT04227327.txt"


@pytest.fixture(scope="session")
def shared_records() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared records not found at {SHARED}: the tests need ../shared beside the project")
    return SHARED


def landing_with_shared(dest: Path) -> Path:
    """A landing folder holding the seed page and every shared record page."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, dest / SEED.name)
    for page in sorted((SHARED / "text").glob("*.txt")):
        shutil.copy(page, dest / page.name)
    return dest


def connect(work: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(work / "trials.duckdb"), read_only=True)
