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
    os.environ["CHORUS_DUCKDB_PATH"] = str(warehouse.db)
    args = ["build"]
    if config.as_of:
        args += ["--vars", json.dumps({"chorus_as_of": config.as_of})]
    if config.full_refresh:
        args.append("--full-refresh")
    yield from dbt.cli(args, context=context).stream()
