"""The Dagster code location on the PostgreSQL target: the refresh job, run in-process
against a fresh database of a real throwaway server (the `postgres_db` fixture), loads the
tiny business (checked in DuckDB, published to PostgreSQL's schema raw), validates raw on
PostgreSQL with the GX checks, builds the dbt project on PostgreSQL (dbt runs as a
subprocess: the CHORUS_PG_* and CHORUS_DBT_TARGET variables must reach it) and runs the
identity check on the marts it built there."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg
import pytest

from orchestration.contract import TABLES


@pytest.fixture
def refresh_on_postgres(postgres_db, tiny_data, tmp_path) -> SimpleNamespace:
    from orchestration.definitions import build_definitions

    db = tmp_path / "chorus.duckdb"
    defs = build_definitions(duckdb_path=db, data_dir=tiny_data)
    job = defs.resolve_job_def("chorus_refresh_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance)
    return SimpleNamespace(result=result, db=db, defs=defs, database=postgres_db)


@pytest.mark.slow
def test_refresh_job_runs_end_to_end_on_postgres(refresh_on_postgres):
    from orchestration.engines.reader import Native

    result = refresh_on_postgres.result
    assert result.success

    warehouse = refresh_on_postgres.defs.resources["warehouse"]
    assert warehouse.target == "postgres"  # from CHORUS_DBT_TARGET, shown in the UI

    # the marts are on PostgreSQL (this test's database), with rows
    native = Native("postgres")
    try:
        _, rows = native.query("select current_database()")
        assert rows == [(refresh_on_postgres.database,)]
        marts = {r.name for r in native.relations(("marts",))}
        assert {"customers", "customer_identifiers"} <= marts
        counts = {name: native.count("marts", name) for name in marts}
        raw_counts = {t: native.count("raw", t) for t in TABLES}
    finally:
        native.close()
    assert counts["customers"] > 0 and counts["customer_identifiers"] > 0, counts

    # every raw asset says it was published to PostgreSQL, with the rows now there
    materialized = {
        m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("raw_load")
    }
    assert set(TABLES) <= set(materialized)
    for table in TABLES:
        metadata = materialized[table]
        assert metadata["target"].value == "postgres"
        assert metadata["published_rows"].value == raw_counts[table] > 0, table
        assert metadata["read"].value == metadata["inserted"].value + metadata["rejected"].value

    # the GX checks read PostgreSQL and passed; so did the identity check and dbt's tests
    evaluations = result.get_asset_check_evaluations()
    gx = {e.asset_key.path[-1]: e for e in evaluations if e.check_name == "gx_suite"}
    assert set(gx) == set(TABLES)
    for table, evaluation in gx.items():
        assert evaluation.passed, (table, evaluation.metadata)
        assert evaluation.metadata["target"].value == "postgres"
        assert evaluation.metadata["row_count"].value == raw_counts[table]
    identity = [e for e in evaluations if e.check_name == "identity_cluster_size"]
    assert len(identity) == 1 and identity[0].passed
    assert identity[0].metadata["target"].value == "postgres"
    assert identity[0].metadata["largest_cluster"].value > 0
    dbt_checks = [
        e for e in evaluations if e.check_name not in ("gx_suite", "identity_cluster_size")
    ]
    assert dbt_checks and all(e.passed for e in dbt_checks), [
        (e.asset_key.to_user_string(), e.check_name) for e in dbt_checks if not e.passed
    ]


def test_refresh_job_on_an_unreachable_server_fails_at_the_raw_step(
    postgres_db, tiny_data, tmp_path, monkeypatch
):
    from orchestration.definitions import build_definitions
    from orchestration.engines import local_postgres

    monkeypatch.setenv("CHORUS_PG_PORT", str(local_postgres.free_port()))  # nobody listens
    defs = build_definitions(duckdb_path=tmp_path / "chorus.duckdb", data_dir=tiny_data)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("chorus_refresh_job").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["raw_load"]
    message = failures[0].step_failure_data.user_failure_data.description
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:")
    assert "CHORUS_PG_HOST" in message
