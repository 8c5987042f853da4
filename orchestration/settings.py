"""Where things live and how big the engine may be: every path and knob comes from one
environment variable with a default, so the CLI, Dagster, dbt and the tests agree."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


# Days of history of a generated sample by default (`chorus generate`, `chorus run
# --generate`, `make demo`): more than the 90 days of the lapsed_90d audience, so that its
# customers, and the winback journey it starts, exist in a sample (in 90 days of history
# nobody can have last bought more than 90 days ago).
SAMPLE_DAYS = 120


def duckdb_path() -> Path:
    """CHORUS_DUCKDB_PATH: the DuckDB warehouse file (default warehouse/chorus.duckdb)."""
    return _path("CHORUS_DUCKDB_PATH", REPO_ROOT / "warehouse" / "chorus.duckdb")


def spark_dir() -> Path:
    """CHORUS_SPARK_DIR: everything the local Spark session writes (tables, the Derby
    metastore, derby.log); default warehouse/spark."""
    return _path("CHORUS_SPARK_DIR", REPO_ROOT / "warehouse" / "spark")


def dbt_target_dir() -> Path:
    """DBT_TARGET_PATH (dbt's own variable, relative to the dbt project): where dbt writes
    its manifest and run results, and where Dagster reads them; default
    dbt_project/target. The tests give each of their worker processes its own."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def export_for_dbt(duckdb: Path | None = None) -> None:
    """Put the absolute paths and threads profiles.yml reads into the environment, so dbt
    (in-process or a subprocess whose working directory is the dbt project) and the
    Python side render the same profile."""
    os.environ["CHORUS_DUCKDB_PATH"] = str(duckdb or duckdb_path())
    os.environ["CHORUS_SPARK_DIR"] = str(spark_dir())
    os.environ.setdefault("CHORUS_THREADS", str(threads()))


def data_dir() -> Path:
    """CHORUS_DATA_DIR: where `chorus generate` writes and `chorus load` reads by default."""
    return _path("CHORUS_DATA_DIR", REPO_ROOT / "data" / "sample")


def dagster_home() -> Path:
    """DAGSTER_HOME: the Dagster instance folder (runs, event log, schedules). Default
    .dagster_home/ in the repo, the same as the Makefile's, so `make ui` shows what the
    CLI records."""
    return _path("DAGSTER_HOME", REPO_ROOT / ".dagster_home")


def _switch(var: str) -> bool:
    """An on/off variable, on by default: 0, false, no or off turn it off."""
    return os.environ.get(var, "1").strip().lower() not in ("0", "false", "no", "off")


def dagster_record() -> bool:
    """CHORUS_DAGSTER_RECORD: 0 stops the CLI recording its loads and builds in the Dagster
    instance (default 1)."""
    return _switch("CHORUS_DAGSTER_RECORD")


def dbt_target() -> str:
    """CHORUS_DBT_TARGET: the dbt target in dbt_project/profiles.yml (duckdb by default)."""
    return os.environ.get("CHORUS_DBT_TARGET", "duckdb")


def threads() -> int:
    """CHORUS_THREADS: DuckDB and dbt threads (default: the machine's cores)."""
    return int(os.environ.get("CHORUS_THREADS", str(os.cpu_count() or 2)))


def memory_limit() -> str:
    """CHORUS_DUCKDB_MEMORY_LIMIT: DuckDB memory_limit (default 75% of RAM, DuckDB's own)."""
    return os.environ.get("CHORUS_DUCKDB_MEMORY_LIMIT", "")


def identity_max_cluster_size() -> int:
    """CHORUS_IDENTITY_MAX_CLUSTER_SIZE: identifiers one customer may have before the
    over-merge alarm fires (Dagster asset check, `chorus identity-report`). Default 50:
    a real person has a handful of emails, phones, browsers and devices."""
    return int(os.environ.get("CHORUS_IDENTITY_MAX_CLUSTER_SIZE", "50"))


def snapshot_enabled() -> bool:
    """CHORUS_SNAPSHOT: publish `<warehouse>.snapshot.duckdb` after each successful load
    and build, for readers working beside a writer (default on; 0 turns it off, e.g. for
    a warehouse too large to copy at every step)."""
    return _switch("CHORUS_SNAPSHOT")


def connect(path: Path | None = None, read_only: bool = False):
    """A DuckDB connection configured the same way everywhere (UTC, threads, memory)."""
    import duckdb

    target = path or duckdb_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET threads = {threads()}")
    if memory_limit():
        con.execute(f"SET memory_limit = '{memory_limit()}'")
    return con
