"""The three engines one dbt project runs on, seen from Python: which one is configured,
how to reach it, and one reader that runs a query on any of them.

- `duckdb`: the embedded file (CHORUS_DUCKDB_PATH), the default;
- `postgres`: a PostgreSQL server (CHORUS_PG_*), reached with psycopg2;
- `spark`: a local Spark session (pyspark) whose tables, metastore and log live under
  CHORUS_SPARK_DIR.

Connection details come from dbt_project/profiles.yml (profile.py), so dbt, the loader,
validate, Dagster and the reports never disagree about where the warehouse is.
"""

from __future__ import annotations

from orchestration import settings
from orchestration.warehouse import WarehouseError

ENGINES = ("duckdb", "postgres", "spark")


def target(name: str | None = None) -> str:
    """The configured engine: `name`, else CHORUS_DBT_TARGET, else duckdb. An unknown
    name is an error that lists the three."""
    chosen = (name or settings.dbt_target()).strip().lower()
    if chosen not in ENGINES:
        raise WarehouseError(
            f"unknown target {chosen!r}",
            f"use one of {', '.join(ENGINES)} (--target or CHORUS_DBT_TARGET)",
            code=2,
        )
    return chosen
