"""The Dagster definitions load with every asset, check, job, schedule and sensor, and the
sensor asks for a run exactly when landing pages are new or changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.resources import WarehouseResource
from pipelines.sensors import landing_folder_sensor
from tests.conftest import SEED


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
