"""A load that fails inside its transaction: the caller sees why, nothing is committed, and
the connection's settings are put back."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.resources import WarehouseResource
from ingest.extract import extract
from ingest.parse import parse
from ingest.validate import validate
from staging.layout import pages_path, rows_to_load
from staging.manifest import ExtractManifest, ParseManifest, RunInfo, ValidateManifest
from tests.integration.conftest import run, seed_resource
from warehouse.load import LoadResult, WarehouseChanged, load
from warehouse.store import open_for_write, raw_store, writer_lock


@dataclass(frozen=True)
class Staged:
    """A run extracted, parsed and validated, not loaded: what the load step receives."""

    staging: Path
    validated: ValidateManifest
    started_at: dt.datetime

    def trials_file(self) -> Path:
        return rows_to_load(self.staging, "trials", self.validated.batches[0])


def stage(resource: WarehouseResource, run_id: str) -> Staged:
    staging = resource.staging(run_id)
    extracted = extract(resource.source, resource.known(), staging, resource.settings(), run_id)
    validated = validate(parse(extracted, resource.settings()), resource.settings())
    return Staged(staging, validated, extracted.run.started_at)


def as_run(validated: ValidateManifest, run: RunInfo) -> ValidateManifest:
    """The same staged run, handed to the load under another identity."""
    extracted = replace(validated.parse.extract, run=run)
    return replace(validated, parse=replace(validated.parse, extract=extracted))


def load_as(con: duckdb.DuckDBPyConnection, resource: WarehouseResource, staged: Staged, run_id: str) -> LoadResult:
    validated = as_run(staged.validated, replace(staged.validated.run, run_id=run_id))
    return load(con, validated, raw_store(resource.warehouse))


def test_a_failed_trials_insert_reports_its_own_error_and_restores_threads(tmp_path: Path) -> None:
    resource = seed_resource(tmp_path)
    staged = stage(resource, "run-1")
    # The staged trials rows now hold an enrollment DuckDB cannot cast: the trials insert,
    # which runs on one thread (warehouse/load.py), fails inside the transaction.
    pl.read_parquet(staged.trials_file()).with_columns(enrollment=pl.lit("many")).write_parquet(staged.trials_file())

    with writer_lock(resource.warehouse), open_for_write(resource.warehouse) as con:
        con.execute("SET threads = 2")
        with pytest.raises(duckdb.ConversionException):
            load_as(con, resource, staged, "run-1")
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0


def test_a_warehouse_replaced_after_extract_is_not_loaded(tmp_path: Path) -> None:
    """Pages found unchanged at extract are not stored again: if the warehouse file is then
    replaced (rebuilt, restored), the load refuses rather than leave those pages out."""
    resource = seed_resource(tmp_path)
    page = resource.source / "NCT04227327.txt"
    run(resource.source, resource.warehouse.parent)
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))
    staged = stage(resource, "run-2")
    assert staged.validated.to_load == 0  # the touched page is unchanged: neither parsed nor stored
    resource.warehouse.unlink()  # replaced by an empty warehouse between extract and load

    with writer_lock(resource.warehouse), open_for_write(resource.warehouse) as con:
        with pytest.raises(WarehouseChanged, match="changed after the run read"):
            load_as(con, resource, staged, "run-2")
        assert con.execute("SELECT count(*) FROM landing_files").fetchone()[0] == 0


def test_pages_staged_by_one_run_are_not_loaded_under_another(tmp_path: Path) -> None:
    """The raw files name the run that read them: loading them as another run (another id)
    would leave `source_pages` pointing at files that say otherwise."""
    resource = seed_resource(tmp_path)
    staged = stage(resource, "run-3")
    with writer_lock(resource.warehouse), open_for_write(resource.warehouse) as con:
        with pytest.raises(RuntimeError, match="not by run other"):
            load_as(con, resource, staged, "other")
        assert con.execute("SELECT count(*) FROM source_pages").fetchone()[0] == 0
        assert not (raw_store(resource.warehouse) / "other").exists()
        # Nothing moved: the staged run still loads as the run it is, and only once.
        load_as(con, resource, staged, "run-3")
        assert con.execute("SELECT count(record_text) FROM source_records").fetchone()[0] == 1
        with pytest.raises(RuntimeError, match="run run-3 was loaded already"):
            load_as(con, resource, staged, "run-3")
        assert con.execute("SELECT count(record_text) FROM source_records").fetchone()[0] == 1


def test_a_failed_load_puts_the_staged_pages_back(tmp_path: Path) -> None:
    """A load that fails in its transaction leaves the staged run as it was, so it can be
    loaded again once the cause is fixed (a Dagster re-execution of the load step)."""
    resource = seed_resource(tmp_path)
    staged = stage(resource, "run-4")
    good = pl.read_parquet(staged.trials_file())
    good.with_columns(enrollment=pl.lit("many")).write_parquet(staged.trials_file())
    with writer_lock(resource.warehouse), open_for_write(resource.warehouse) as con:
        with pytest.raises(duckdb.ConversionException):
            load_as(con, resource, staged, "run-4")
        assert pages_path(staged.staging, staged.validated.batches[0]).exists()
        assert not (raw_store(resource.warehouse) / "run-4").exists()
        good.write_parquet(staged.trials_file())
        load_as(con, resource, staged, "run-4")
        assert con.execute("SELECT count(*), count(record_text) FROM source_records").fetchone() == (1, 1)
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 1


def test_a_run_that_started_earlier_but_loads_later_does_not_move_last_seen_back(tmp_path: Path) -> None:
    """Two Dagster runs overlap (extract takes no lock): pages carry their run's start, and
    the run that started first loads last. `last_seen` keeps the later start."""
    resource = seed_resource(tmp_path)
    staged = {run_id: stage(resource, run_id) for run_id in ("early", "late")}
    for run_id in ("late", "early"):
        with writer_lock(resource.warehouse), open_for_write(resource.warehouse) as con:
            load_as(con, resource, staged[run_id], run_id)
    with duckdb.connect(str(resource.warehouse), read_only=True) as con:
        first_seen, last_seen = con.execute("SELECT first_seen, last_seen FROM source_pages").fetchone()
    assert first_seen == last_seen == staged["late"].started_at > staged["early"].started_at


def test_a_failed_load_that_read_no_pages_reports_its_own_error(tmp_path: Path) -> None:
    """Nothing staged to put back (a run that read no page): the caller still sees why."""
    warehouse = tmp_path / "wh" / "trials.duckdb"
    staging = tmp_path / "staging"
    staging.mkdir()
    with writer_lock(warehouse), open_for_write(warehouse) as con:
        with pytest.raises(duckdb.IOException, match=r"scanned\.parquet"):
            load(con, nothing_staged(RunInfo("run-5", dt.datetime.now(dt.UTC), staging, tmp_path)), raw_store(warehouse))
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 0
    assert not (raw_store(warehouse) / "run-5").exists()


def nothing_staged(run: RunInfo) -> ValidateManifest:
    extracted = ExtractManifest(run, [], 0, 0, 0, 0, 0, 0.0)
    return ValidateManifest(ParseManifest(extracted, 0, 0, 0, 0, 0, 0.0), 0, 0, 0, 0.0)
