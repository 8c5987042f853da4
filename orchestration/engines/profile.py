"""One output of dbt_project/profiles.yml, rendered the way dbt renders it (env_var with
its default, as_number), so Python reaches the same server and starts the same Spark
session as dbt does."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import jinja2
import yaml

from orchestration import settings

PROFILE = "chorus"


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise KeyError(f"profiles.yml needs the environment variable {name}")
    return default


@cache
def _raw_profile() -> dict[str, Any]:
    text = (settings.DBT_PROJECT_DIR / "profiles.yml").read_text()
    return yaml.safe_load(text)[PROFILE]["outputs"]


def _render(value: Any, env: jinja2.Environment) -> Any:
    if isinstance(value, dict):
        return {k: _render(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, env) for v in value]
    if isinstance(value, str) and "{{" in value:
        return env.from_string(value).render()
    return value


def output(target: str) -> dict[str, Any]:
    """The rendered output `target` (duckdb, postgres, spark), with the environment as it
    is now (the environment is read at each call, not cached)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    env.filters["as_number"] = lambda v: int(v) if str(v).isdigit() else float(v)
    return _render(_raw_profile()[target], env)
