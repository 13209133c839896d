"""The Dagster definitions load with every asset, check, job, schedule and sensor, and the
sensor asks for a run exactly when landing pages are new or changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.checks import CHECKS
from assets.ingest import INGEST_ASSETS, warehouse_load
from assets.report import REPORT_ASSETS
from assets.resources import WarehouseResource
from assets.tables import EXPORTED_MODELS, WAREHOUSE_MODELS, export_key, table_key
from pipelines.definitions import defs
from pipelines.sensors import landing_folder_sensor
from tests.integration.conftest import SEED, SHARED, seed_resource
from warehouse import checks as rules
from warehouse.ddl import duckdb_type


def test_definitions_hold_the_pipeline() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    tables = {m.__table__.name for m in WAREHOUSE_MODELS}
    exported = {m.__table__.name for m in EXPORTED_MODELS}
    stages = {"registry_fetch", "landing_pages", "parsed_records", "validated_records", "load_manifest"}
    assert keys == stages | {"export_manifest", "warehouse_report"} | {f"warehouse/{t}" for t in tables} | {
        f"exports/{t}" for t in exported
    }
    checks = {(key.asset_key.path[-1], key.name) for key in graph.asset_check_keys}
    assert {name for _, name in checks} == set(rules.CHECKS)
    assert ("criteria", "unique_keys") in checks and ("sites", "referential_integrity") in checks
    assert ("trials", "pandera_rules") in checks
    assert all(graph.get_check_spec(key).blocking for key in graph.asset_check_keys)
    assert defs.resolve_job_def("ingest") is not None
    fetch_job = defs.resolve_job_def("fetch_and_ingest")
    assert {k.to_user_string() for k in fetch_job.asset_layer.executable_asset_keys} >= {
        "registry_fetch",
        "landing_pages",
        "export_manifest",
        "warehouse_report",
    }
    schedule = defs.resolve_schedule_def("daily_ingest")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.job_name == "fetch_and_ingest"
    assert defs.resolve_sensor_def("landing_folder_sensor").job_name == "ingest"


def test_every_table_has_an_asset_with_the_models_columns(shared_warehouse: Path) -> None:
    """One `duckdb` asset per table or view of the models and one `parquet` asset per exported
    table, each with the model's columns as its column schema: the columns DuckDB holds, in
    order, typed as the DDL declares them."""
    graph = defs.resolve_asset_graph()
    with duckdb.connect(str(shared_warehouse / "trials.duckdb"), read_only=True) as con:
        for model in WAREHOUSE_MODELS:
            name = model.__table__.name
            columns = model.to_schema().columns
            for key, kind in [(table_key(name), "duckdb"), (export_key(name), "parquet")]:
                if kind == "parquet" and model not in EXPORTED_MODELS:
                    continue
                spec = graph.get(key)
                assert spec.kinds == {kind}, key
                schema = spec.metadata["dagster/column_schema"]  # the TableSchema as declared
                assert [(c.name, c.type, c.constraints.nullable, c.description) for c in schema.columns] == [
                    (n, duckdb_type(c.dtype.type), c.nullable, c.description) for n, c in columns.items()
                ], key
            stored = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
            assert stored == list(columns), name


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


def _landing_with_some_shared(work: Path, count: int = 30) -> Path:
    """The seed page and the first `count` shared record pages."""
    landing = work / "landing"
    landing.mkdir(parents=True)
    shutil.copy(SEED, landing / SEED.name)
    for page in sorted((SHARED / "text").glob("*.txt"))[:count]:
        shutil.copy(page, landing / page.name)
    return landing


def _resource(work: Path, landing: Path) -> WarehouseResource:
    return WarehouseResource(
        source_dir=str(landing),
        warehouse_path=str(work / "wh" / "trials.duckdb"),
        exports_dir=str(work / "exports"),
        report_path=str(work / "report" / "trials.html"),
        workers=1,
    )


def _materialized(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    """Asset key -> the metadata values of its materialization in this run."""
    return {
        e.asset_key.to_user_string(): {k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def test_a_run_gives_each_table_its_row_count_each_export_its_path_and_writes_the_report(tmp_path: Path) -> None:
    resource = _resource(tmp_path, _landing_with_some_shared(tmp_path))
    result = dg.materialize(
        [*INGEST_ASSETS, *REPORT_ASSETS, *CHECKS], resources={"warehouse": resource}, raise_on_error=False
    )
    assert result.success
    done = _materialized(result)
    with duckdb.connect(str(resource.warehouse), read_only=True) as con:
        for model in WAREHOUSE_MODELS:
            name = model.__table__.name
            # The checks add their outcomes to check_results after the load counted it.
            after_load = "run_id <> (SELECT max(run_id) FROM ingest_runs)" if name == "check_results" else "true"
            stored = con.execute(f"SELECT count(*) FROM {name} WHERE {after_load}").fetchone()[0]
            assert done[f"warehouse/{name}"]["dagster/row_count"] == stored, name
        assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == 31
    for model in EXPORTED_MODELS:
        name = model.__table__.name
        exported = done[f"exports/{name}"]
        path = Path(str(exported["path"]))
        assert path.exists() and path.parent == resource.exports.absolute(), path
        assert exported["dagster/uri"] == path.as_uri()
        parquet = f"{path}/*.parquet" if path.is_dir() else str(path)
        assert (
            duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()[0] == exported["dagster/row_count"]
        )
    assert Path(str(done["exports/source_records"]["path"])).is_dir()
    # The manifests are pickled by the IO manager, and say so; no table asset carries a pickle path.
    assert done["export_manifest"]["exports"] == str(resource.exports.absolute())
    report = Path(str(done["warehouse_report"]["path"]))
    assert report == resource.report.absolute() and report.stat().st_size == done["warehouse_report"]["bytes"]
    assert "31 trials" in report.read_text(encoding="utf-8")
    checks = [
        e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert {(c.asset_key.path[-1], c.check_name) for c in checks} == {
        (key.asset_key.path[-1], key.name) for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert all(c.passed for c in checks)


def test_a_failing_check_names_its_table_and_stops_the_export(tmp_path: Path) -> None:
    """A duplicate key written behind the pipeline's back fails `unique_keys` on that table's
    asset only; the export does not run and the published export stays the previous one."""
    resource = _resource(tmp_path, _landing_with_some_shared(tmp_path, count=5))
    assets = [*INGEST_ASSETS, *REPORT_ASSETS, *CHECKS]
    assert dg.materialize(assets, resources={"warehouse": resource}).success
    published = resource.exports.resolve()
    with duckdb.connect(str(resource.warehouse)) as con:
        con.execute("INSERT INTO criteria SELECT * FROM criteria LIMIT 1")
        con.execute("DELETE FROM check_results")  # never checked: the next run reads every row

    again = dg.materialize(assets, resources={"warehouse": resource}, raise_on_error=False)

    assert not again.success
    checks = {
        (c.asset_key.path[-1], c.check_name): c.passed
        for c in (
            e.asset_check_evaluation_data for e in again.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
        )
    }
    assert [key for key, passed in checks.items() if not passed] == [("criteria", "unique_keys")]
    assert checks[("trials", "unique_keys")] and checks[("criteria", "pandera_rules")]
    done = _materialized(again)
    assert "warehouse/criteria" in done and not [k for k in done if k.startswith("exports/")]
    assert "export_manifest" not in done and "warehouse_report" not in done
    assert resource.exports.resolve() == published


def test_materializing_the_load_again_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    """The load materialized on its own after a complete run would load that run's staged
    pages a second time: it is refused, and the run's raw store file stays."""
    resource = seed_resource(tmp_path)
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        assert dg.materialize(INGEST_ASSETS, instance=instance, resources={"warehouse": resource}).success
        again = dg.materialize(
            INGEST_ASSETS,
            instance=instance,
            resources={"warehouse": resource},
            selection=dg.AssetSelection.assets(warehouse_load),
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
