"""The `chorus` CLI end to end on a tiny generated business: run everything, run it again
(nothing changes), and the failure paths say what went wrong and exit non-zero."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    db = tmp_path / "warehouse" / "chorus.duckdb"
    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("COLUMNS", "200")
    return db


@pytest.mark.slow
def test_run_everything_twice_is_idempotent(tiny_data, env):
    from orchestration.settings import connect

    first = runner.invoke(app, ["run", "--from", str(tiny_data)])
    assert first.exit_code == 0, first.output
    for heading in (
        "Chorus summary",
        "raw load",
        "rejected rows by reason",
        "time per step",
        "marts.customers",
        "resolved customer",  # the mart's grain, from its persisted description
        "staging views",
    ):
        assert heading in first.output

    con = connect(env, read_only=True)
    before = con.sql("select count(*) from raw.web_events").fetchall()[0][0]
    rejects = con.sql("select count(*) from raw.rejected_rows").fetchall()[0][0]
    con.close()
    assert rejects > 0  # the generator injects bad rows; they must land here

    second = runner.invoke(app, ["run", "--from", str(tiny_data)])
    assert second.exit_code == 0, second.output
    # the load step says what happened: nothing new, every row unchanged or rejected again
    (step,) = [line for line in second.output.splitlines() if line.startswith("│ load ")]
    assert "nothing new: " in step and " unchanged, " in step and "(already recorded)" in step
    con = connect(env, read_only=True)
    assert con.sql("select count(*) from raw.web_events").fetchall()[0][0] == before
    assert con.sql("select count(*) from raw.rejected_rows").fetchall()[0][0] == rejects
    # the marts schema holds documented marts only: the work tables an incremental
    # build leaves (contacts' new events, identity's regions) are in intermediate
    undocumented = con.sql(
        """
        select name from (
            select table_name as name, comment from duckdb_tables()
            where schema_name = 'marts'
            union all
            select view_name, comment from duckdb_views() where schema_name = 'marts'
        )
        where coalesce(comment, '') = ''
        """
    ).fetchall()
    assert undocumented == []
    # ...and every column of a mart says what it holds (dbt's persisted descriptions)
    undocumented_columns = con.sql(
        "select table_name || '.' || column_name from duckdb_columns()"
        " where schema_name = 'marts' and coalesce(comment, '') = '' order by 1"
    ).fetchall()
    assert undocumented_columns == []
    work_tables = con.sql(
        "select table_name from duckdb_tables()"
        " where schema_name = 'intermediate' and table_name like '%\\_\\_%' escape '\\'"
    ).fetchall()
    assert ("contacts__new_events",) in work_tables
    assert ("customer_identifiers__region",) in work_tables
    con.close()


def test_missing_column_is_a_clear_error(tiny_data, tmp_path, env):
    import duckdb

    broken = tmp_path / "broken"
    broken.mkdir()
    src = next(tiny_data.glob("products.*"))
    con = duckdb.connect()
    reader = "read_parquet" if src.suffix == ".parquet" else "read_csv"
    con.execute(
        f"copy (select * exclude (category) from {reader}('{src}')) "
        f"to '{broken / 'products.csv'}' (header)"
    )
    result = runner.invoke(app, ["load", "--from", str(broken)])
    assert result.exit_code == 2
    assert "products.csv" in result.output and "category" in result.output
    assert "what to do" in result.output


def test_validate_fails_on_bad_raw_data(tiny_data, tmp_path, env):
    source = tmp_path / "src"
    shutil.copytree(tiny_data, source)
    assert runner.invoke(app, ["load", "--from", str(source)]).exit_code == 0
    ok = runner.invoke(app, ["validate"])
    assert ok.exit_code == 0, ok.output

    from orchestration.settings import connect

    con = connect(env)
    # an order line pointing at no order slips past the loader (it checks rows, not
    # relationships); the raw suite must catch it
    con.execute(
        "insert into raw.order_items (order_id, line_number, product_id, quantity, unit_price,"
        " _source_file, _source_row, _loaded_at, _load_id)"
        " values ('no-such-order', 1, 'p1', 1, 9.99, 'hand.csv', 1, now(), 'test')"
    )
    con.close()
    bad = runner.invoke(app, ["validate"])
    assert bad.exit_code == 1
    assert "order_items" in bad.output


def test_bad_as_of_is_rejected(env):
    result = runner.invoke(app, ["build", "--as-of", "yesterday"])
    assert result.exit_code == 2
    assert "ISO-8601" in result.output


def test_build_with_an_empty_selection_is_an_error(tiny_data, env):
    assert runner.invoke(app, ["load", "--from", str(tiny_data)]).exit_code == 0
    result = runner.invoke(app, ["build", "--select", "no_such_model"])
    assert result.exit_code == 2
    assert "nothing matched" in result.output


def test_build_exclude_leaves_nodes_out(tiny_data, env):
    assert runner.invoke(app, ["load", "--from", str(tiny_data)]).exit_code == 0
    args = ["build", "--select", "identity_rules", "--exclude", "identity_rules"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "nothing matched the selection 'identity_rules' without 'identity_rules'" in (
        " ".join(result.output.split())
    )
