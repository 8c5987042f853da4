"""The one Dagster code location: raw loads -> GX checks -> dbt, with a refresh job and
schedule, on the configured target (CHORUS_DBT_TARGET; the warehouse resource shows it).
`make ui` serves it; tests build it against a temporary warehouse."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.assets.dbt import chorus_dbt_assets
from orchestration.assets.raw import raw_tables
from orchestration.checks.identity import identity_cluster_size
from orchestration.checks.raw_quality import raw_gx_checks
from orchestration.resources import build_resources
from orchestration.schedules import chorus_refresh_job, chorus_refresh_schedule


def build_definitions(
    duckdb_path: Path | None = None,
    data_dir: Path | None = None,
    target: str | None = None,
):
    """The code location on `target` (default CHORUS_DBT_TARGET: duckdb, postgres or
    spark)."""
    return dg.Definitions(
        assets=[raw_tables, chorus_dbt_assets],
        asset_checks=[raw_gx_checks, identity_cluster_size],
        jobs=[chorus_refresh_job],
        schedules=[chorus_refresh_schedule],
        resources=build_resources(duckdb_path, data_dir, target),
        # DuckDB allows one writing process per file: run steps in one process, in order.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
