"""Shared fixtures: a tiny generated business, loaded once per session into its own
DuckDB file, for tests that need realistic raw data without paying for it each time."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = {"customers": 400, "days": 21, "seed": 7}


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    from orchestration.sample_data import generate

    out = tmp_path_factory.mktemp("tiny_data")
    generate(out, **TINY)
    return out
