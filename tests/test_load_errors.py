"""A load that fails inside its transaction: the caller sees why, nothing is committed, and
the connection's settings are put back."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest import stages
from pipelines.resources import WarehouseResource
from tests.conftest import SEED, run
from warehouse.load import WarehouseChanged, load
from warehouse.store import open_for_write, raw_store, writer_lock


def test_a_failed_trials_insert_reports_its_own_error_and_restores_threads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(SEED, landing / SEED.name)
    warehouse = tmp_path / "wh" / "trials.duckdb"
    resource = WarehouseResource(
        source_dir=str(landing), warehouse_path=str(warehouse), exports_dir=str(tmp_path / "exports"), workers=1
    )
    staging = resource.staging("run-1")
    extracted = stages.extract(resource.source, resource.known(), staging, resource.settings(), "run-1")
    validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
    # The staged trials rows now hold an enrollment DuckDB cannot cast: the trials insert,
    # which runs on one thread (warehouse/load.py), fails inside the transaction.
    staged = stages.rows_to_load(staging, "trials", validated.batches[0])
    pl.read_parquet(staged).with_columns(enrollment=pl.lit("many")).write_parquet(staged)

    with writer_lock(warehouse), open_for_write(warehouse) as con:
        con.execute("SET threads = 2")
        with pytest.raises(duckdb.ConversionException):
            load(con, staging, validated.batches, stages.scanned_path(staging), "run-1", dt.datetime.fromisoformat(extracted.started_at),
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0


def test_a_warehouse_replaced_after_extract_is_not_loaded(tmp_path: Path) -> None:
    """Pages found unchanged at extract are not stored again: if the warehouse file is then
    replaced (rebuilt, restored), the load refuses rather than leave those pages out."""
    landing = tmp_path / "landing"
    landing.mkdir()
    page = landing / SEED.name
    shutil.copy(SEED, page)
    warehouse = tmp_path / "wh" / "trials.duckdb"
    resource = WarehouseResource(
        source_dir=str(landing), warehouse_path=str(warehouse), exports_dir=str(tmp_path / "exports"), workers=1
    )
    run(landing, warehouse.parent)
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))
    staging = resource.staging("run-2")
    extracted = stages.extract(resource.source, resource.known(), staging, resource.settings(), "run-2")
    validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
    assert validated.to_load == 0  # the touched page is unchanged: neither parsed nor stored
    warehouse.unlink()  # replaced by an empty warehouse between extract and load

    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(WarehouseChanged, match="changed after the run read"):
            load(con, staging, validated.batches, stages.scanned_path(staging), "run-2", dt.datetime.fromisoformat(extracted.started_at),
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(*) FROM landing_files").fetchone()[0] == 0


def test_pages_staged_by_one_run_are_not_loaded_under_another(tmp_path: Path) -> None:
    """The raw files name the run that read them: loading them as another run (another id)
    would leave `source_pages` pointing at files that say otherwise."""
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(SEED, landing / SEED.name)
    warehouse = tmp_path / "wh" / "trials.duckdb"
    resource = WarehouseResource(
        source_dir=str(landing), warehouse_path=str(warehouse), exports_dir=str(tmp_path / "exports"), workers=1
    )
    staging = resource.staging("run-3")
    extracted = stages.extract(resource.source, resource.known(), staging, resource.settings(), "run-3")
    validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(RuntimeError, match="not by run other"):
            load(con, staging, validated.batches, stages.scanned_path(staging), "other",
                 dt.datetime.fromisoformat(extracted.started_at), str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(*) FROM source_pages").fetchone()[0] == 0
    assert not (raw_store(warehouse) / "other").exists()
