"""How dbt nodes become Dagster asset keys and groups. Kept apart from assets/dbt.py
(which parses the project when imported) so the CLI can name the same assets cheaply
when it records its own builds (orchestration/dagster_events.py)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator


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
