"""Shared fixtures: a tiny generated business, loaded once per session into its own
DuckDB file, for tests that need realistic raw data without paying for it each time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The CLI records its loads and builds in the Dagster instance ($DAGSTER_HOME, default
# .dagster_home/); tests must not fill a developer's instance. Tests of the recording turn
# it back on with a temporary DAGSTER_HOME (tests/integration/test_dagster.py).
os.environ["CHORUS_DAGSTER_RECORD"] = "0"

TINY = {"customers": 400, "days": 21, "seed": 7}


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    from orchestration.sample_data import generate

    out = tmp_path_factory.mktemp("tiny_data")
    generate(out, **TINY)
    return out
