"""The dbt project as Dagster assets (dagster-dbt). Sources map onto the raw assets by
their schema and table name, so the graph runs raw -> staging -> marts without any
model name written here."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.resources import WarehouseResource, chorus_dbt_project, ensure_manifest


class ChorusDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(
                key=dg.AssetKey([props["schema"], props.get("identifier") or props["name"]])
            )
        return spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/... -> group <layer>; seeds -> config
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "default"


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
