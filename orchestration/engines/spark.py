"""The Spark target as a local session: started with the conf of profiles.yml's `spark`
output, so the loader, validate and the reports see the same metastore and tables as
dbt-spark's session method (which calls SparkSession.builder.getOrCreate() in the same
process and so reuses this session when Chorus started it first).

pyspark is in the `spark` dependency group (`make test-spark`, or
`uv sync --group spark`); without it this says how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestration import settings
from orchestration.engines import profile
from orchestration.warehouse import WarehouseError


def conf() -> dict[str, str]:
    """The session conf: profiles.yml's server_side_parameters, rendered now."""
    return {k: str(v) for k, v in profile.output("spark").get("server_side_parameters", {}).items()}


def schema() -> str:
    """The schema dbt builds into on Spark (the profile's)."""
    return str(profile.output("spark")["schema"])


def session() -> Any:
    """The Spark session (created once per process), after making sure its folder exists."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(
            "the spark target needs pyspark, which is not installed",
            "install the spark group: uv sync --group spark (make test-spark does)",
        ) from None
    settings.export_for_dbt(settings.duckdb_path())
    settings.spark_dir().mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("chorus").enableHiveSupport()
    for key, value in conf().items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def tables_dir() -> Path:
    return Path(conf()["spark.sql.warehouse.dir"])
