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
    started_at = dt.datetime.fromisoformat(extracted.started_at)
    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(RuntimeError, match="not by run other"):
            load(con, staging, validated.batches, stages.scanned_path(staging), "other", started_at,
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(*) FROM source_pages").fetchone()[0] == 0
        assert not (raw_store(warehouse) / "other").exists()
        # Nothing moved: the staged run still loads as the run it is, and only once.
        load(con, staging, validated.batches, stages.scanned_path(staging), "run-3", started_at,
             str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(record_text) FROM source_records").fetchone()[0] == 1
        with pytest.raises(RuntimeError, match="run run-3 was loaded already"):
            load(con, staging, validated.batches, stages.scanned_path(staging), "run-3", started_at,
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(record_text) FROM source_records").fetchone()[0] == 1


def test_a_failed_load_puts_the_staged_pages_back(tmp_path: Path) -> None:
    """A load that fails in its transaction leaves the staged run as it was, so it can be
    loaded again once the cause is fixed (a Dagster re-execution of the load step)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(SEED, landing / SEED.name)
    warehouse = tmp_path / "wh" / "trials.duckdb"
    resource = WarehouseResource(
        source_dir=str(landing), warehouse_path=str(warehouse), exports_dir=str(tmp_path / "exports"), workers=1
    )
    staging = resource.staging("run-4")
    extracted = stages.extract(resource.source, resource.known(), staging, resource.settings(), "run-4")
    validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
    started_at = dt.datetime.fromisoformat(extracted.started_at)
    staged = stages.rows_to_load(staging, "trials", validated.batches[0])
    good = pl.read_parquet(staged)
    good.with_columns(enrollment=pl.lit("many")).write_parquet(staged)
    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(duckdb.ConversionException):
            load(con, staging, validated.batches, stages.scanned_path(staging), "run-4", started_at,
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert stages.pages_path(staging, validated.batches[0]).exists()
        assert not (raw_store(warehouse) / "run-4").exists()
        good.write_parquet(staged)
        load(con, staging, validated.batches, stages.scanned_path(staging), "run-4", started_at,
             str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(*), count(record_text) FROM source_records").fetchone() == (1, 1)
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 1


def test_a_run_that_started_earlier_but_loads_later_does_not_move_last_seen_back(tmp_path: Path) -> None:
    """Two Dagster runs overlap (extract takes no lock): pages carry their run's start, and
    the run that started first loads last. `last_seen` keeps the later start."""
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(SEED, landing / SEED.name)
    warehouse = tmp_path / "wh" / "trials.duckdb"
    resource = WarehouseResource(
        source_dir=str(landing), warehouse_path=str(warehouse), exports_dir=str(tmp_path / "exports"), workers=1
    )
    staged = {}
    for run_id in ("early", "late"):
        staging = resource.staging(run_id)
        extracted = stages.extract(resource.source, resource.known(), staging, resource.settings(), run_id)
        validated = stages.validate(stages.parse(extracted, resource.settings()), resource.settings())
        staged[run_id] = (staging, validated.batches, dt.datetime.fromisoformat(extracted.started_at))
    for run_id in ("late", "early"):
        staging, batches, started_at = staged[run_id]
        with writer_lock(warehouse), open_for_write(warehouse) as con:
            load(con, staging, batches, stages.scanned_path(staging), run_id, started_at,
                 str(landing), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first_seen, last_seen = con.execute("SELECT first_seen, last_seen FROM source_pages").fetchone()
    assert first_seen == last_seen == staged["late"][2] > staged["early"][2]


def test_a_failed_load_that_read_no_pages_reports_its_own_error(tmp_path: Path) -> None:
    """Nothing staged to put back (a run that read no page): the caller still sees why."""
    warehouse = tmp_path / "wh" / "trials.duckdb"
    staging = tmp_path / "staging"
    staging.mkdir()
    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(duckdb.IOException, match=r"scanned\.parquet"):
            load(con, staging, [], staging / "scanned.parquet", "run-5", dt.datetime.now(dt.UTC),
                 str(tmp_path), 0, 0, "{}", raw_store(warehouse))  # fmt: skip
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0
    assert not (raw_store(warehouse) / "run-5").exists()
