"""Dagster definitions: `dagster dev` (or `dg dev`) at the project root loads this module
(see `[tool.dagster]` in pyproject.toml)."""

from __future__ import annotations

import dagster as dg

from assets.checks import CHECKS
from assets.fetch import FETCH_ASSETS
from assets.ingest import INGEST_ASSETS
from assets.report import REPORT_ASSETS
from assets.resources import WarehouseResource
from pipelines.jobs import fetch_and_ingest_job, ingest_job
from pipelines.schedules import daily_ingest
from pipelines.sensors import landing_folder_sensor

defs = dg.Definitions(
    assets=[*FETCH_ASSETS, *INGEST_ASSETS, *REPORT_ASSETS],
    asset_checks=CHECKS,
    jobs=[ingest_job, fetch_and_ingest_job],
    schedules=[daily_ingest],
    sensors=[landing_folder_sensor],
    resources={"warehouse": WarehouseResource()},
)
