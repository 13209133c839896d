"""Daily ingest at 02:00 UTC. Off until turned on in the UI (Automation tab) or with
`dagster schedule start daily_ingest`."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import ingest_job

daily_ingest = dg.ScheduleDefinition(
    name="daily_ingest",
    job=ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
