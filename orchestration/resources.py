"""Dagster resources: the warehouse (the DuckDB file raw files are checked into, the
target engine dbt builds on) and dbt, all chosen from the environment
(orchestration/settings.py, CHORUS_DBT_TARGET) so `make ui`, the CLI and the tests point
at the same warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from pydantic import Field

from orchestration import engines, settings

# dbt reads the warehouse paths from these variables (profiles.yml); make them absolute
# once so the dbt subprocess, whose working directory is the dbt project, finds the same
# DuckDB file and Spark folder.
os.environ.setdefault("CHORUS_DUCKDB_PATH", str(settings.duckdb_path()))
os.environ.setdefault("CHORUS_SPARK_DIR", str(settings.spark_dir()))

chorus_dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR,
    profiles_dir=settings.DBT_PROJECT_DIR,
    target=settings.dbt_target(),
    target_path=settings.dbt_target_dir(),
)


def ensure_manifest() -> Path:
    """Parse the dbt project when the manifest is missing (fresh clone) or in `dagster dev`."""
    chorus_dbt_project.prepare_if_dev()
    manifest = chorus_dbt_project.manifest_path
    if not manifest.exists():
        from orchestration.dbt import run_dbt

        outcome = run_dbt(["parse"])
        if not outcome.success:
            raise RuntimeError(f"dbt parse failed: {outcome.exception or outcome.failures}")
    return manifest


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: the engine dbt builds on (`target`: duckdb, postgres or spark, from
    CHORUS_DBT_TARGET), the DuckDB file every load is checked into first (on duckdb the
    warehouse itself; on postgres and spark the loader's working copy, published to the
    target's schema raw) and the folder raw files are loaded from."""

    duckdb_path: str
    data_dir: str
    target: str = Field(
        default="duckdb",
        description="The engine (dbt target): duckdb, postgres or spark. "
        "Set with CHORUS_DBT_TARGET; connection details in dbt_project/profiles.yml.",
    )

    @property
    def db(self) -> Path:
        return Path(self.duckdb_path)

    @property
    def source_dir(self) -> Path:
        return Path(self.data_dir)


def build_resources(
    duckdb_path: Path | None = None,
    data_dir: Path | None = None,
    target: str | None = None,
) -> dict:
    """The resources for `target` (default CHORUS_DBT_TARGET, read now: not the value the
    module was imported with)."""
    engine = engines.target(target)
    return {
        "warehouse": WarehouseResource(
            duckdb_path=str(duckdb_path or settings.duckdb_path()),
            data_dir=str(data_dir or settings.data_dir()),
            target=engine,
        ),
        "dbt": DbtCliResource(
            project_dir=chorus_dbt_project,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
            target=engine,
        ),
    }
