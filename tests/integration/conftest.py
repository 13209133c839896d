"""Integration tests: each runs the pipeline (mostly the full Dagster `ingest()`), so every test
collected here is marked `integration` and `make test-fast` leaves them out."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.resources import WarehouseResource
from pipelines.ingest_run import Summary, ingest
from tests.conftest import PROJECT, SEED, SHARED, connect, landing_with_shared

# Re-exported so an integration test takes all its helpers from one place.
__all__ = ["PROJECT", "SEED", "SHARED", "connect", "landing_with_shared", "run", "seed_resource"]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees every collected item, not only this folder's: mark by location.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True, scope="session")
def own_dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Command-line runs record into DAGSTER_HOME (else the project's `.dagster_home`): the
    tests get one of their own, so none of their runs shows in a developer's UI."""
    home = tmp_path_factory.mktemp("dagster_home")
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(home))
    yield home
    patch.undo()


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


@pytest.fixture(scope="session")
def shared_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_records: Path) -> Path:
    """The seed + 238 shared records ingested once for the tests that only read."""
    root = tmp_path_factory.mktemp("shared")
    landing = landing_with_shared(root / "landing")
    run(landing, root)
    return root
