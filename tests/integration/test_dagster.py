"""The Dagster definitions load with every asset, check, job, schedule and sensor, and the
sensor asks for a run exactly when landing pages are new or changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.resources import WarehouseResource
from pipelines.definitions import defs
from pipelines.sensors import landing_folder_sensor
from tests.integration.conftest import SEED, seed_resource
from warehouse import checks as rules


def test_definitions_hold_the_pipeline() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {"landing_pages", "parsed_records", "validated_records", "warehouse_tables", "parquet_exports"}
    checks = {key.name for key in graph.asset_check_keys}
    assert checks == {"unique_keys", "referential_integrity", "pandera_rules"}
    assert defs.resolve_job_def("ingest") is not None
    assert defs.resolve_schedule_def("daily_ingest").cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("landing_folder_sensor") is not None


def test_sensor_requests_a_run_only_for_new_or_changed_pages(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    resource = WarehouseResource(source_dir=str(landing), warehouse_path=str(tmp_path / "w.duckdb"))
    shutil.copy(SEED, landing / SEED.name)

    first = landing_folder_sensor(dg.build_sensor_context(cursor=None, resources={"warehouse": resource}))
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    again = landing_folder_sensor(dg.build_sensor_context(cursor=first.cursor, resources={"warehouse": resource}))
    assert isinstance(again, dg.SkipReason)

    (landing / "second.txt").write_text(SEED.read_text(encoding="utf-8").replace("NCT04227327", "NCT99999999"))
    third = landing_folder_sensor(dg.build_sensor_context(cursor=first.cursor, resources={"warehouse": resource}))
    assert isinstance(third, dg.SensorResult) and third.cursor != first.cursor


def test_checks_fail_on_a_warehouse_the_load_corrupted(tmp_path: Path, shared_warehouse: Path) -> None:
    """Each blocking check passes on the shared records as loaded and fails, naming the table,
    once a duplicate key, an orphan row or a value outside the rules is written behind its back.
    The shared warehouse has had one run, so the checks read every row (no narrow scope)."""
    database = tmp_path / "trials.duckdb"
    shutil.copy(shared_warehouse / "trials.duckdb", database)
    names = list(rules.CHECKS)
    assert {n: c.outcome.passed for n, c in rules.run_checks(rules.read_only(database), database, names).items()} == {
        "unique_keys": True,
        "referential_integrity": True,
        "pandera_rules": True,
    }

    con = duckdb.connect(str(database))
    con.execute("INSERT INTO criteria SELECT * FROM criteria LIMIT 1")
    con.execute("INSERT INTO sites SELECT * REPLACE ('NCT00000000' AS nct_id) FROM sites LIMIT 1")
    # A trial of the last run, so pandera_rules' sample of that run holds it.
    con.execute("""
        UPDATE trials SET overall_status = 'NOT A STATUS'
        WHERE nct_id = (SELECT min(nct_id) FROM trial_versions WHERE superseded_at IS NULL)
    """)
    con.close()
    results = {n: c.outcome for n, c in rules.run_checks(rules.read_only(database), database, names).items()}
    assert not any(r.passed for r in results.values())
    assert any("criteria" in p for p in results["unique_keys"].problems)
    assert any("sites" in p for p in results["referential_integrity"].problems)
    assert any("trials.overall_status" in p for p in results["pandera_rules"].problems)


def test_materializing_the_load_again_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    """`warehouse_tables` materialized on its own after a complete run would load that run's
    staged pages a second time: it is refused, and the run's raw store file stays."""
    from assets.ingest import INGEST_ASSETS

    resource = seed_resource(tmp_path)
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        assert dg.materialize(INGEST_ASSETS, instance=instance, resources={"warehouse": resource}).success
        again = dg.materialize(
            INGEST_ASSETS,
            instance=instance,
            resources={"warehouse": resource},
            selection=["warehouse_tables"],
            raise_on_error=False,
        )
    assert not again.success
    failures = [e.step_failure_data.error for e in again.all_events if e.is_step_failure]
    assert any("was loaded already" in (error.cause or error).message for error in failures), failures
    with duckdb.connect(str(resource.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*), count(record_text) FROM source_records").fetchone() == (1, 1)


def test_a_run_staged_by_an_older_version_is_not_resumed(tmp_path: Path) -> None:
    """Its extract output is an untyped dict, or a manifest of another staging format (older
    versions kept the pages in another layout): re-executing its later steps stops with a
    message that says what to do."""
    import dataclasses
    import datetime as dt

    from assets.ingest import _staged_by_this_version
    from staging.layout import FORMAT_VERSION
    from staging.manifest import ExtractManifest, RunInfo

    older = {"staging": "/x/.staging/r1", "batches": [0], "started_at": "2026-11-25T00:00:00+00:00"}
    with pytest.raises(dg.Failure, match=r"staged by an older version .* a dict, not a manifest.*\); start a new run"):
        _staged_by_this_version(older)
    run = RunInfo("r1", dt.datetime(2026, 11, 25, tzinfo=dt.UTC), tmp_path / "r1", tmp_path)
    current = ExtractManifest(run, [0], 1, 1, 0, 0, 0, 0.0)
    stale = dataclasses.replace(current, run=dataclasses.replace(run, format_version=FORMAT_VERSION - 1))
    with pytest.raises(dg.Failure, match=rf"staging format {FORMAT_VERSION - 1}; this version reads"):
        _staged_by_this_version(stale)
    assert _staged_by_this_version(current).run.run_id == "r1"
