"""Daily fetch-then-ingest at 02:00 UTC: the fetch is a no-op until a base URL is set
(TRIAL_WAREHOUSE_FETCH_URL), so by default it ingests what is in the landing folder. Off
until turned on in the UI (Automation tab) or with `dagster schedule start daily_ingest`."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import fetch_and_ingest_job

daily_ingest = dg.ScheduleDefinition(
    name="daily_ingest",
    job=fetch_and_ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
