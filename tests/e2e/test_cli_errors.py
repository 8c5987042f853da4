"""Expected failures of the real `chorus` console script: each is one clear line with the
fix, a non-zero exit, no traceback and nothing half-written. And a reader works while
another process writes the warehouse, from the published snapshot.

Run as subprocesses (typer's CliRunner would catch what a user would see as a
traceback), each against its own warehouse file."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.contract_rows import write_csv


def chorus(*args: str, db: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "CHORUS_DUCKDB_PATH": str(db),
        "CHORUS_DAGSTER_RECORD": "0",
        "COLUMNS": "200",
        **(env or {}),
    }
    environment.pop("CHORUS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, *expected: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    for text in expected:
        assert text in output, output
    return output


@contextmanager
def holding(db: Path, read_only: bool = False):
    """Another process with the warehouse open (a notebook, a second build): yields its PID."""
    code = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(db)!r}, read_only={read_only})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


@pytest.fixture
def loaded(tiny_data, tmp_path) -> Path:
    """A warehouse with the tiny business's raw tables (and so a published snapshot)."""
    db = tmp_path / "warehouse" / "chorus.duckdb"
    result = chorus("load", "--from", str(tiny_data), db=db)
    assert result.returncode == 0, result.stdout + result.stderr
    return db


def test_writers_name_the_process_holding_the_warehouse(loaded, tiny_data):
    with holding(loaded) as pid:
        for args in (
            ["build"],
            ["load", "--from", str(tiny_data)],
            ["run", "--from", str(tiny_data)],
            ["validate"],
            ["dagster-run", "--from", str(tiny_data)],
        ):
            output = assert_clean_failure(chorus(*args, db=loaded), f"PID {pid}", "what to do")
            assert "is in use by" in output, (args, output)


def test_a_read_only_holder_blocks_a_build_with_a_clear_message(loaded):
    before = duckdb.connect(str(loaded), read_only=True)
    schemas = before.sql("select count(*) from information_schema.schemata").fetchall()
    before.close()
    with holding(loaded, read_only=True) as pid:
        assert_clean_failure(chorus("build", db=loaded), f"PID {pid}", "snapshot")
    after = duckdb.connect(str(loaded), read_only=True)
    # nothing half-written: dbt never started
    assert after.sql("select count(*) from information_schema.schemata").fetchall() == schemas
    after.close()


def test_a_reader_works_beside_a_writer_from_the_snapshot(loaded):
    snapshot = loaded.with_name("chorus.snapshot.duckdb")
    assert snapshot.exists()
    con = duckdb.connect(str(loaded), read_only=True)
    orders = con.sql("select count(*) from raw.orders").fetchall()[0][0]
    con.close()
    with holding(loaded) as pid:
        result = chorus("sql", "select count(*) as n from raw.orders", "--format", "csv", db=loaded)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"PID {pid}" in result.stdout and "snapshot" in result.stdout
        assert result.stdout.strip().splitlines()[-1] == str(orders)
    # with the warehouse free again, readers read it, not the snapshot
    free = chorus("sql", "select 1 as one", db=loaded)
    assert free.returncode == 0 and "snapshot" not in free.stdout, free.stdout


def test_readers_do_not_block_on_a_missing_or_busy_warehouse(tmp_path):
    missing = tmp_path / "nowhere" / "chorus.duckdb"
    for args in (["identity-report"], ["validate"], ["identity-explain", "ann@example.com"]):
        assert_clean_failure(chorus(*args, db=missing), "no warehouse at", "chorus load")
    assert_clean_failure(chorus("sql", "select 1", db=missing), "no warehouse at")
    assert not missing.parent.exists()  # a reader never creates the file or its folder


def test_build_on_a_missing_or_empty_warehouse_says_load_first(tmp_path):
    missing = tmp_path / "new" / "chorus.duckdb"
    assert_clean_failure(chorus("build", db=missing), "no warehouse at", "chorus load")
    assert not missing.exists()  # not silently created

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert_clean_failure(chorus("build", db=empty), "no raw tables", "chorus load")
    con = duckdb.connect(str(empty), read_only=True)
    assert con.sql("select count(*) from duckdb_tables()").fetchall() == [(0,)]
    con.close()


def test_ordinary_mistakes_are_one_line_each(tmp_path):
    db = tmp_path / "chorus.duckdb"
    a_file = tmp_path / "orders.csv"
    a_file.write_text("order_id\n1\n")
    cases = [
        (["load", "--from", str(a_file)], "not a folder"),
        (["load", "--from", str(tmp_path / "nowhere")], "does not exist"),
        (["identity-report", "--truth", str(tmp_path / "nowhere")], "identifiers.parquet"),
        (["generate", "--customers", "5", "--out", str(a_file / "under_a_file")], "check the path"),
        (["run", "--generate", "--customers", "0"], "--customers"),
        (["generate", "--days", "0"], "--days"),
        (["build", "--vars", "{chorus_lifecycle_activ_days: 3}"], "chorus_lifecycle_active_days"),
        (["build", "--vars", "[1, 2]"], "not a mapping"),
        (["build", "--as-of", "yesterday"], "ISO-8601"),
        (["sql", "select * from marts.nope"], "no warehouse at"),
        (
            ["load", "--from", str(tmp_path), "--db", str(tmp_path / "marts.duckdb")],
            "named like one of its schemas",
        ),
    ]
    for args, expected in cases:
        assert_clean_failure(chorus(*args, db=db), expected)
    assert not db.exists()


def test_sql_errors_are_one_line(loaded):
    assert_clean_failure(
        chorus("sql", "select * from marts.nope", db=loaded), "nope", "show all tables"
    )
    assert_clean_failure(
        chorus("sql", "create table raw.x (a int)", db=loaded), "read-only", "only reads"
    )


def test_a_contract_error_loads_nothing(tmp_path):
    source = tmp_path / "export"
    write_csv(source, "orders", [])
    (source / "products.csv").write_text("product_id,name,price\np1,Mug,9.5\n")
    db = tmp_path / "chorus.duckdb"
    assert_clean_failure(chorus("load", "--from", str(source), db=db), "category", "what to do")
    if db.exists():  # the header check runs before any table is written
        con = duckdb.connect(str(db), read_only=True)
        tables = con.sql("select table_name from duckdb_tables() where schema_name = 'raw'")
        loaded = [name for (name,) in tables.fetchall() if name in ("orders", "products")]
        for name in loaded:
            assert con.sql(f"select count(*) from raw.{name}").fetchall() == [(0,)]
        con.close()


def test_an_unexpected_error_is_one_line_unless_debugging():
    """A bug (not an expected failure) still prints one line, and the traceback only on
    request: the command group wraps every command."""
    import typer
    from typer.testing import CliRunner

    from orchestration.commands.common import ChorusGroup

    app = typer.Typer(cls=ChorusGroup)

    @app.command()
    def boom() -> None:
        raise RuntimeError("kaputt\nsecond line")

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["boom"])
    assert result.exit_code == 1
    assert "unexpected RuntimeError: kaputt" in result.output
    assert "second line" not in result.output and "CHORUS_DEBUG=1" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("load", "--target", "postgres"),
        ("build", "--target", "postgres"),
        ("validate", "--target", "postgres"),
        ("run", "--target", "postgres", "--generate", "--customers", "50", "--days", "3"),
        ("sql", "--target", "postgres", "select 1"),
        ("identity-report", "--target", "postgres"),
    ],
    ids=lambda a: a[0],
)
def test_an_unreachable_postgres_is_one_line_naming_host_port_and_variables(
    args, tiny_data, tmp_path
):
    from orchestration.engines.local_postgres import free_port

    port = free_port()  # nobody listens there
    db = tmp_path / "chorus.duckdb"
    env = {
        "CHORUS_PG_HOST": "127.0.0.1",
        "CHORUS_PG_PORT": str(port),
        "CHORUS_DATA_DIR": str(tiny_data if args[0] != "run" else tmp_path / "data"),
    }
    output = assert_clean_failure(
        chorus(*args, db=db, env=env),
        f"cannot reach PostgreSQL at 127.0.0.1:{port}",
        "CHORUS_PG_HOST",
        "CHORUS_PG_PORT",
    )
    assert "error:" in output and "what to do:" in output
    # nothing was loaded into the DuckDB file, nothing generated before the check
    assert not (tmp_path / "data").exists()
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.sql(
                "select count(*) from duckdb_tables() where schema_name = 'raw'"
            ).fetchall() == [(0,)]
        finally:
            con.close()


def test_an_unknown_target_is_a_usage_error(tmp_path):
    output = assert_clean_failure(
        chorus("load", "--target", "snowflake", db=tmp_path / "c.duckdb"),
        "unknown target 'snowflake'",
        "duckdb, postgres, spark",
    )
    assert "Traceback" not in output
