"""Dagster resources: the DuckDB warehouse (where raw files land) and dbt, both chosen
from the environment (orchestration/settings.py) so `make ui`, the CLI and the tests
point at the same files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from orchestration import settings

# dbt reads the warehouse paths from these variables (profiles.yml); make them absolute
# once so the dbt subprocess, whose working directory is the dbt project, finds the same
# DuckDB file and Spark folder.
os.environ.setdefault("CHORUS_DUCKDB_PATH", str(settings.duckdb_path()))
os.environ.setdefault("CHORUS_SPARK_DIR", str(settings.spark_dir()))

chorus_dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR,
    profiles_dir=settings.DBT_PROJECT_DIR,
    target=settings.dbt_target(),
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
    """The DuckDB warehouse file and the folder raw files are loaded from."""

    duckdb_path: str
    data_dir: str

    @property
    def db(self) -> Path:
        return Path(self.duckdb_path)

    @property
    def source_dir(self) -> Path:
        return Path(self.data_dir)


def build_resources(duckdb_path: Path | None = None, data_dir: Path | None = None) -> dict:
    return {
        "warehouse": WarehouseResource(
            duckdb_path=str(duckdb_path or settings.duckdb_path()),
            data_dir=str(data_dir or settings.data_dir()),
        ),
        "dbt": DbtCliResource(
            project_dir=chorus_dbt_project,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
