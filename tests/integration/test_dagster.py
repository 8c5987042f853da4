"""The Dagster code location: Definitions load with the whole graph wired (raw -> dbt),
and the refresh job materializes every asset and passes every check in-process against
a temporary DuckDB file."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.contract import TABLES


def test_definitions_load_with_full_graph():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for table in TABLES:
        assert f"raw/{table}" in keys
    assert "staging/stg_web__events" in keys
    # staging reads the raw asset (the translator maps dbt sources onto raw/<table>)
    parents = graph.get(dg.AssetKey(["staging", "stg_web__events"])).parent_keys
    assert dg.AssetKey(["raw", "web_events"]) in parents
    assert defs.resolve_job_def("chorus_refresh_job") is not None
    assert defs.resolve_schedule_def("chorus_refresh_schedule").cron_schedule == "0 6 * * *"
    checks = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert {f"raw/{t}" for t in TABLES} <= checks


@pytest.mark.slow
def test_refresh_job_materializes_in_process(tiny_data, tmp_path):
    from orchestration.definitions import build_definitions
    from orchestration.settings import connect

    db = tmp_path / "dagster.duckdb"
    defs = build_definitions(duckdb_path=db, data_dir=tiny_data)
    result = defs.resolve_job_def("chorus_refresh_job").execute_in_process()
    assert result.success

    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert {f"raw/{t}" for t in TABLES} <= materialized
    assert "staging/stg_crm__contacts" in materialized

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= len(TABLES)
    assert all(e.passed for e in evaluations), [e.asset_key for e in evaluations if not e.passed]

    con = connect(db, read_only=True)
    try:
        loaded = con.sql("select count(*) from raw.web_events").fetchall()[0][0]
        staged = con.sql("select count(*) from staging.stg_web__events").fetchall()[0][0]
    finally:
        con.close()
    assert loaded > 0 and staged == loaded
