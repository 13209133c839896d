"""A load that fails inside its transaction: the caller sees DuckDB's own error, nothing is
committed, and the connection's settings are put back."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest import stages
from pipelines.resources import WarehouseResource
from tests.conftest import SEED
from warehouse.load import load
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
    extracted = stages.extract(resource.source, resource.known(), staging, resource.settings())
    validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
    # The staged trials rows now hold an enrollment DuckDB cannot cast: the trials insert,
    # which runs on one thread (warehouse/load.py), fails inside the transaction.
    staged = stages.rows_to_load(staging, "trials", validated.batches[0])
    pl.read_parquet(staged).with_columns(enrollment=pl.lit("many")).write_parquet(staged)

    with writer_lock(warehouse), open_for_write(warehouse) as con:
        con.execute("SET threads = 2")
        with pytest.raises(duckdb.ConversionException):
            load(con, staging, validated.batches, stages.scanned_path(staging), "run-1", dt.datetime.now(dt.UTC),
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0
