"""The ingest job: every ingest asset and its checks, run in one process (the stages start
their own worker processes; separate step processes would only add start-up time)."""

from __future__ import annotations

import dagster as dg

from assets.ingest import INGEST_ASSETS

ingest_job = dg.define_asset_job(
    name="ingest",
    selection=dg.AssetSelection.assets(*INGEST_ASSETS),
    executor_def=dg.in_process_executor,
    description="Landing folder -> DuckDB warehouse -> parquet exports.",
)
