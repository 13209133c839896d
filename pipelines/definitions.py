"""Dagster definitions: `dagster dev` (or `dg dev`) at the project root loads this module
(see `[tool.dagster]` in pyproject.toml)."""

from __future__ import annotations

import dagster as dg

from assets.checks import CHECKS
from assets.ingest import INGEST_ASSETS
from assets.resources import WarehouseResource
from pipelines.jobs import ingest_job
from pipelines.schedules import daily_ingest
from pipelines.sensors import landing_folder_sensor

defs = dg.Definitions(
    assets=INGEST_ASSETS,
    asset_checks=CHECKS,
    jobs=[ingest_job],
    schedules=[daily_ingest],
    sensors=[landing_folder_sensor],
    resources={"warehouse": WarehouseResource()},
)
