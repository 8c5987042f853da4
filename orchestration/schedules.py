"""The refresh job and its daily schedule (stopped by default: turn it on in the UI)."""

from __future__ import annotations

import dagster as dg

chorus_refresh_job = dg.define_asset_job(
    "chorus_refresh_job",
    selection=dg.AssetSelection.all(),
    description="Load raw files, check them with Great Expectations, then dbt build.",
)

chorus_refresh_schedule = dg.ScheduleDefinition(
    name="chorus_refresh_schedule",
    job=chorus_refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
