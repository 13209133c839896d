from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest_run import Summary, ingest
from pipelines.resources import WarehouseResource

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


def seed_resource(work: Path) -> WarehouseResource:
    """One worker over `work/landing` holding the seed page, into `work/wh/trials.duckdb`."""
    landing = work / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, landing / SEED.name)
    return WarehouseResource(
        source_dir=str(landing),
        warehouse_path=str(work / "wh" / "trials.duckdb"),
        exports_dir=str(work / "exports"),
        workers=1,
    )


def run(source: Path, work: Path, **kwargs) -> Summary:
    """One ingest of `source` into `work/trials.duckdb` and `work/exports`."""
    return ingest(source=source, warehouse=work / "trials.duckdb", exports=work / "exports", quiet=True, **kwargs)


def connect(work: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(work / "trials.duckdb"), read_only=True)


@pytest.fixture(scope="session")
def shared_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_records: Path) -> Path:
    """The seed + 238 shared records ingested once for the tests that only read."""
    root = tmp_path_factory.mktemp("shared")
    landing = landing_with_shared(root / "landing")
    run(landing, root)
    return root
