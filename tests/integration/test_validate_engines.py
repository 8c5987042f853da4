"""`chorus validate` on every target: the same suites give the same report on PostgreSQL
and Spark as on DuckDB for the same data (tables, statuses, evaluated expectations, row
and rejected-row counts, every failure's text), and they read the target's own schema
raw: a bad value planted there, and only there, fails validation on that target while
the DuckDB working copy still passes.

The data is the tiny business with problems the loader lets through (a future event
time, an order line of no order, a ticket resolved before it opened, a bad currency,
a bad SHA-256, an event that names nobody) and one row it rejects; then the same
UPDATEs on DuckDB and on the target plant what the loader would have rejected (a
negative price, a duplicate key, an unknown value, a null), so GX's own expectations fail
too, not only the suites' SQL rules.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from expectations.runner import ValidationReport, render, validate
from expectations.suites.base import utc_now
from orchestration.warehouse import WarehouseError

# the same statements, in the SQL DuckDB and PostgreSQL share, on both copies
PLANTED_AFTER_LOAD = [
    "update raw.products set price = -1 "
    "where product_id = (select min(product_id) from raw.products)",
    "update raw.crm_contacts set contact_id = (select min(contact_id) from raw.crm_contacts) "
    "where contact_id = (select max(contact_id) from raw.crm_contacts)",
    "update raw.email_events set event_type = 'opend' "
    "where event_id = (select min(event_id) from raw.email_events)",
    "update raw.orders set order_total = null "
    "where order_id = (select max(order_id) from raw.orders)",
]

# (table, rule, column) of every critical failure and warning the data must produce, so
# equal reports are equal about something
EXPECTED_FAILURES = {
    ("web_events", "future_time", "occurred_at"),
    ("web_events", "custom", "anonymous_id, user_id, email"),
    ("order_items", "reference", "order_id"),
    ("support_tickets", "order", "resolved_at"),
    ("orders", "custom", "currency"),
    ("ad_events", "custom", "email_sha256"),
}
EXPECTED_AFTER_PLANTING = {
    ("products", "range", "price"),
    ("crm_contacts", "unique_key", "contact_id"),
    ("email_events", "enum", "event_type"),
    ("orders", "not_null", "order_total"),
}


def _spoil(con, src: Path, dst: Path, table: str, order: str, replace: str) -> None:
    con.execute(
        f"copy (with ranked as (select *, row_number() over (order by {order}) as r "
        f"from read_parquet('{src / f'{table}.parquet'}')) "
        f"select * exclude (r) replace ({replace}) from ranked) "
        f"to '{dst / f'{table}.parquet'}' (format parquet)"
    )


@pytest.fixture(scope="module")
def spoiled_data(tiny_data, tmp_path_factory) -> Path:
    """The tiny business with problems the loader lets through, and one it rejects."""
    import duckdb

    out = tmp_path_factory.mktemp("spoiled_data") / "data"
    shutil.copytree(tiny_data, out)
    con = duckdb.connect()
    try:
        _spoil(
            con,
            tiny_data,
            out,
            "web_events",
            "event_id",
            "case when r <= 2 then '2100-01-01T00:00:00Z' else occurred_at end as occurred_at, "
            "case when r = 3 then null else anonymous_id end as anonymous_id, "
            "case when r = 3 then null else user_id end as user_id, "
            "case when r = 3 then null else email end as email, "
            "case when r = 4 then 'cliked' else event_type end as event_type",
        )
        _spoil(
            con,
            tiny_data,
            out,
            "order_items",
            "order_id, line_number",
            "case when r = 1 then 'ord-missing' else order_id end as order_id",
        )
        _spoil(
            con,
            tiny_data,
            out,
            "orders",
            "order_id",
            # not the first: tiny_data's own rejects sort first (a blank or duplicate key)
            "case when r = 10 then 'EURO' else currency end as currency",
        )
        _spoil(
            con,
            tiny_data,
            out,
            "ad_events",
            "email_sha256 is null, event_id",
            "case when r = 1 then 'not-a-hash' else email_sha256 end as email_sha256",
        )
        _spoil(
            con,
            tiny_data,
            out,
            "support_tickets",
            "resolved_at is null, ticket_id",
            "case when r = 1 then '2000-01-01T00:00:00Z' else resolved_at end as resolved_at",
        )
    finally:
        con.close()
    return out


def summary(report: ValidationReport) -> list[tuple]:
    """Everything a report says about the data (not its timings nor where it read)."""
    return [
        (
            t.table,
            t.status,
            t.evaluated,
            t.row_count,
            t.rejected_rows,
            t.reason,
            tuple(t.notes),
            tuple((f.expectation, f.rule, f.column, f.observed, f.severity) for f in t.failures),
            tuple(f.description for f in t.failures),
        )
        for t in report.tables
    ]


def failures(report: ValidationReport) -> set[tuple[str, str, str | None]]:
    return {(t.table, f.rule, f.column) for t in report.tables for f in t.failures}


def plant_in_duckdb(db: Path, statements: list[str]) -> None:
    from orchestration.settings import connect

    con = connect(db)
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def plant_in_postgres(statements: list[str]) -> None:
    from orchestration.engines import postgres

    con = postgres.connect()
    try:
        with con, con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        con.close()


def text(report: ValidationReport) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=220, color_system=None).print(render(report))
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# PostgreSQL


def _load(data: Path, db: Path, target: str) -> None:
    from orchestration.loader import load_directory

    load_directory(data, db_path=db, target=target)


def test_postgres_report_equals_duckdbs(postgres_db, spoiled_data, tmp_path):
    db = tmp_path / "chorus.duckdb"
    _load(spoiled_data, db, "postgres")
    plant_in_duckdb(db, PLANTED_AFTER_LOAD)
    plant_in_postgres(PLANTED_AFTER_LOAD)
    now = utc_now()

    on_duckdb = validate(db, now=now, target="duckdb")
    on_postgres = validate(db, now=now)  # the target of the environment: postgres

    assert failures(on_duckdb) == EXPECTED_FAILURES | EXPECTED_AFTER_PLANTING
    assert on_duckdb.table("web_events").rejected_rows > 0  # tiny_data's, and 'cliked'
    assert summary(on_postgres) == summary(on_duckdb)
    assert not on_postgres.success
    # the same report, but for where it read (the title wraps at the table's width)
    assert (
        on_postgres.source
        == f"postgres chorus@127.0.0.1:{os.environ['CHORUS_PG_PORT']}/{postgres_db}"
    )
    rendered = text(on_postgres)
    assert "raw data quality (Great Expectations) — postgres" in rendered
    assert on_postgres.source.split()[1] in rendered
    assert "13 tables: 6 passed, 7 failed, 0 skipped" in rendered


def test_postgres_validate_reads_postgres_not_the_duckdb_copy(postgres_db, tiny_data, tmp_path):
    db = tmp_path / "chorus.duckdb"
    _load(tiny_data, db, "postgres")
    now = utc_now()
    assert validate(db, now=now).success  # the clean tiny business passes on postgres
    plant_in_postgres(
        [
            "update raw.web_events set event_type = 'cliked' "
            "where event_id = (select min(event_id) from raw.web_events)"
        ]
    )

    on_postgres = validate(db, ["web_events"], now=now)
    assert not on_postgres.success
    (failure,) = on_postgres.table("web_events").errors
    assert (failure.rule, failure.column) == ("enum", "event_type")
    assert failure.observed == "1 row with 1 unknown value: 'cliked' (1)"
    assert validate(db, ["web_events"], now=now, target="duckdb").success  # untouched


def test_validate_command_on_postgres(postgres_db, tiny_data, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from orchestration.cli import app

    db = tmp_path / "chorus.duckdb"
    _load(tiny_data, db, "postgres")
    shutil.move(db, tmp_path / "elsewhere.duckdb")  # validate needs no DuckDB file here
    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["validate", "--target", "postgres"])
    assert result.exit_code == 0, result.output
    assert f"/{postgres_db}" in result.output
    assert "13 tables: 13 passed, 0 failed, 0 skipped" in result.output


def test_unreachable_postgres_is_one_clear_error(postgres_db, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from orchestration.cli import app
    from orchestration.engines import local_postgres

    monkeypatch.setenv("CHORUS_PG_PORT", str(local_postgres.free_port()))  # nobody listens
    with pytest.raises(WarehouseError, match="cannot reach PostgreSQL at 127.0.0.1:"):
        validate(tmp_path / "chorus.duckdb")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["validate", "--target", "postgres"])
    assert result.exit_code == 1
    assert "cannot reach PostgreSQL at 127.0.0.1:" in result.output
    assert "CHORUS_PG_HOST" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------
# Spark


def plant_in_spark(table: str, column: str, value: str, key: str) -> None:
    """Rewrite raw.<table> with `column` = value on its first row by key, the way the
    loader publishes: Parquet in a new folder, then one SET LOCATION."""
    import time

    from pyspark.sql import functions as F

    from orchestration.engines import spark as engine

    session = engine.session()
    frame = session.table(f"raw.{table}")
    first = frame.agg(F.min(key)).collect()[0][0]
    changed = frame.withColumn(
        column, F.when(F.col(key) == first, F.lit(value)).otherwise(F.col(column))
    )
    folder = engine.tables_dir() / "raw.db" / table / f"planted{time.time_ns()}"
    changed.write.parquet(str(folder))
    session.sql(f"ALTER TABLE raw.{table} SET LOCATION '{folder}'")
    session.sql(f"REFRESH TABLE raw.{table}")


# about 90 s (every expectation is a Spark job): make test-spark-full; CI keeps the
# shorter test below, which runs the suites on Spark too
@pytest.mark.spark_full
def test_spark_report_equals_duckdbs(spark_target, spoiled_data, tmp_path):
    db = tmp_path / "chorus.duckdb"
    _load(spoiled_data, db, "spark")
    now = utc_now()

    on_duckdb = validate(db, now=now, target="duckdb")
    on_spark = validate(db, now=now)  # the target of the environment: spark

    assert failures(on_duckdb) == EXPECTED_FAILURES
    assert on_duckdb.table("web_events").rejected_rows > 0  # tiny_data's, and 'cliked'
    assert summary(on_spark) == summary(on_duckdb)
    assert on_spark.source == f"spark {spark_target}"
    assert "raw data quality (Great Expectations) — spark" in text(on_spark)


@pytest.mark.spark
def test_spark_validate_reads_spark_not_the_duckdb_copy(spark_target, tiny_data, tmp_path):
    db = tmp_path / "chorus.duckdb"
    _load(tiny_data, db, "spark")
    now = utc_now()
    plant_in_spark("email_events", "event_type", "opend", "event_id")

    on_spark = validate(db, ["email_events"], now=now)
    (failure,) = on_spark.table("email_events").errors
    assert (failure.rule, failure.column) == ("enum", "event_type")
    assert failure.observed == "1 row with 1 unknown value: 'opend' (1)"
    assert validate(db, ["email_events"], now=now, target="duckdb").success
