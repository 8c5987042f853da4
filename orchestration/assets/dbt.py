"""The dbt project as Dagster assets (dagster-dbt). Sources map onto the raw assets by
their schema and table name, so the graph runs raw -> staging -> marts without any
model name written here."""

import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.translator import ChorusDbtTranslator
from orchestration.resources import WarehouseResource, chorus_dbt_project, ensure_manifest

__all__ = ["ChorusDbtTranslator", "DbtBuildConfig", "chorus_dbt_assets"]


class DbtBuildConfig(dg.Config):
    as_of: str | None = None  # dbt var chorus_as_of; None = latest raw event time
    full_refresh: bool = False
    # dbt --exclude: leave nodes out of the build (e.g. a test known to fail on one engine)
    exclude: str | None = None


@dbt_assets(
    manifest=ensure_manifest(),
    project=chorus_dbt_project,
    dagster_dbt_translator=ChorusDbtTranslator(),
)
def chorus_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
):
    # the dbt subprocess inherits this environment: the profile (profiles.yml) renders
    # the warehouse's file and target from it, and on postgres reads CHORUS_PG_* as set
    os.environ["CHORUS_DUCKDB_PATH"] = str(warehouse.db)
    os.environ["CHORUS_DBT_TARGET"] = warehouse.target
    args = ["build"]
    if config.as_of:
        args += ["--vars", json.dumps({"chorus_as_of": config.as_of})]
    if config.full_refresh:
        args.append("--full-refresh")
    if config.exclude:
        args += ["--exclude", config.exclude]
    yield from dbt.cli(args, context=context).stream()
