"""The jobs, each run in one process (the stages start their own worker processes; separate
step processes would only add start-up time):

- `ingest`: landing folder -> warehouse tables (checked) -> parquet exports; what the command
  line and the landing-folder sensor run;
- `fetch_and_ingest`: the registry fetch first (a no-op unless a base URL is set), the same
  ingest, then the HTML report; what the daily schedule runs.
"""

from __future__ import annotations

import dagster as dg

from assets.fetch import FETCH_ASSETS
from assets.ingest import INGEST_ASSETS
from assets.report import REPORT_ASSETS

ingest_job = dg.define_asset_job(
    name="ingest",
    selection=dg.AssetSelection.assets(*INGEST_ASSETS),
    executor_def=dg.in_process_executor,
    description="Landing folder -> DuckDB warehouse (checked) -> parquet exports.",
)

fetch_and_ingest_job = dg.define_asset_job(
    name="fetch_and_ingest",
    selection=dg.AssetSelection.assets(*FETCH_ASSETS, *INGEST_ASSETS, *REPORT_ASSETS),
    executor_def=dg.in_process_executor,
    description="Registry API -> landing folder (only with a fetch base URL set), the ingest, then the HTML report.",
)
