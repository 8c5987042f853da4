"""The Great Expectations raw suites: good data passes every suite, each kind of rule fails
on bad data with a readable message, and the runner copes with what a real warehouse
throws at it (missing tables, a missing column, a file held open, no file at all).

Raw tables are created here from orchestration/contract.py in a temporary DuckDB file,
shaped like the loader's output (typed columns plus lineage columns), three rows each.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from datetime import datetime, timedelta
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations.runner import TableResult, render, validate, validate_table
from expectations.suites import SYSTEM_MODULES, build_expectations
from expectations.suites.base import SuiteContext
from orchestration.contract import BOOLEAN, DOUBLE, INTEGER, STRING, TABLES, TIMESTAMP, Column

NOW = datetime(2024, 7, 1, 12, 0, 0)  # the clock the suites run against in these tests
BASE_TIME = datetime(2024, 6, 1, 9, 0, 0)
ROWS = 3
LINEAGE = {
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_loaded_at": "TIMESTAMP",
    "_load_id": "VARCHAR",
}


def _value(table: str, column: Column, i: int) -> Any:
    """A valid value for row i of a raw table, derived from the contract."""
    if column.enum:
        return column.enum[i % len(column.enum)]
    if column.type == TIMESTAMP:
        return BASE_TIME + timedelta(days=i)  # same per row: resolved_at >= opened_at holds
    if column.type == INTEGER:
        low = int(column.min_value) if column.min_value is not None else 0
        return low + i if column.max_value is None else min(low + i, int(column.max_value))
    if column.type == DOUBLE:
        return 0.5
    if column.type == BOOLEAN:
        return i % 2 == 0
    if column.type != STRING:  # DECIMAL money and cost
        return Decimal("9.99")
    if table == "order_items" and column.name == "order_id":
        return f"orders-{i % 2}"  # lines 1..3 spread over existing orders
    if column.name in TABLES[table].key:
        return f"{table}-{i}"
    special = {
        "email_sha256": sha256(f"user{i}@example.com".encode()).hexdigest(),
        "currency": "EUR",
    }
    return special.get(column.name, f"{column.name}-{i}")


def create_raw(path: Path, rows: int = ROWS) -> Path:
    """Every contract table in schema raw of a new DuckDB file, with `rows` valid rows."""
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    for table in TABLES.values():
        columns = {c.name: c.type for c in table.columns} | LINEAGE
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        con.execute(f"create table raw.{table.name} ({ddl})")
        for i in range(rows):
            values = [_value(table.name, c, i) for c in table.columns]
            values += [f"{table.name}.csv", i + 2, NOW, "load-1"]
            marks = ", ".join("?" for _ in values)
            con.execute(f"insert into raw.{table.name} values ({marks})", values)
    con.execute("create table raw.rejected_rows (table_name varchar, reason varchar)")
    con.execute("insert into raw.rejected_rows values ('support_tickets', 'out_of_range')")
    con.close()
    return path


@pytest.fixture(autouse=True)
def _default_tolerance(monkeypatch):
    monkeypatch.delenv("CHORUS_FUTURE_TOLERANCE_HOURS", raising=False)


@pytest.fixture(scope="module")
def good_template(tmp_path_factory) -> Path:
    return create_raw(tmp_path_factory.mktemp("gx") / "template.duckdb")


@pytest.fixture
def warehouse(good_template, tmp_path) -> Path:
    """A fresh copy of the good warehouse for one test to spoil."""
    return Path(shutil.copy(good_template, tmp_path / "chorus.duckdb"))


def run_sql(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.close()


def check(path: Path, table: str) -> TableResult:
    return validate(path, [table], now=NOW).table(table)


# ---------------------------------------------------------------------------------------
# suites


def test_every_raw_table_has_a_suite_from_its_system_module():
    assert {t.system for t in TABLES.values()} == set(SYSTEM_MODULES)
    for name, table in TABLES.items():
        ctx = SuiteContext(frozenset(table.column_names), frozenset(TABLES), now=NOW)
        rules = build_expectations(name, ctx)
        kinds = {(r.meta or {}).get("rule") for r in rules}
        assert {"row_count", "column_exists", "unique_key", "not_null"} <= kinds, name
        assert not ctx.notes, (name, ctx.notes)
        # every column the contract bounds or enumerates is covered
        covered = {(r.meta or {}).get("column") for r in rules}
        for column in table.columns:
            if column.enum or column.min_value is not None or column.type == TIMESTAMP:
                assert column.name in covered, (name, column.name)


def test_the_suites_sql_rules_are_spelled_for_each_engine():
    """One set of suites: the same expectations on every engine, their SQL rules quoting
    identifiers and matching whole strings the engine's way (Spark reads "x" as a string)."""
    from expectations.suites.base import Dialect

    def queries(engine: str) -> dict[tuple[str, str], str]:
        out = {}
        for name, table in TABLES.items():
            ctx = SuiteContext(
                frozenset(table.column_names), frozenset(TABLES), now=NOW, dialect=Dialect(engine)
            )
            for rule in build_expectations(name, ctx):
                if hasattr(rule, "unexpected_rows_query"):
                    out[(name, rule.description)] = rule.unexpected_rows_query
        return out

    duckdb_, postgres, spark = queries("duckdb"), queries("postgres"), queries("spark")
    assert duckdb_.keys() == postgres.keys() == spark.keys()
    assert all('"' not in query for query in spark.values())
    assert all("`" not in query for query in postgres.values())
    plain = [k for k, query in duckdb_.items() if "regexp_full_match" not in query]
    assert [postgres[k] for k in plain] == [duckdb_[k] for k in plain]  # same quoting
    sha = "ad_events.email_sha256 is a 64-character hex SHA-256 digest"
    assert (
        "regexp_full_match(lower(trim(\"email_sha256\")), '[0-9a-f]{{64}}')"
        in (duckdb_[("ad_events", sha)])
    )
    assert (
        "(lower(trim(\"email_sha256\")) ~ '^(?:[0-9a-f]{{64}})$')" in postgres[("ad_events", sha)]
    )
    assert (
        "(lower(trim(`email_sha256`)) rlike '^(?:[0-9a-f]{{64}})\\\\z')"
        in (spark[("ad_events", sha)])
    )


def test_full_match_is_a_whole_string_match_in_duckdb():
    from expectations.suites.base import DUCKDB

    con = duckdb.connect()
    expression = DUCKDB.full_match("v", "[A-Za-z]{3}").replace("{{", "{").replace("}}", "}")
    rows = con.execute(
        f"select v, {expression} from (values ('EUR'), ('EURO'), ('EU'), ('EUR\n')) t(v)"
    ).fetchall()
    assert dict(rows) == {"EUR": True, "EURO": False, "EU": False, "EUR\n": False}


def test_good_data_passes_every_suite(warehouse):
    report = validate(warehouse, now=NOW)
    assert [t.table for t in report.tables] == list(TABLES)
    problems = {t.table: [str(f) for f in t.failures] for t in report.tables if t.failures}
    assert report.success and not problems, problems
    for result in report.tables:
        assert result.status == "passed"
        assert result.row_count == ROWS
        assert result.evaluated >= 8
        assert result.failed == 0


def test_mixed_case_and_padded_enum_values_pass(warehouse):
    run_sql(
        warehouse,
        "update raw.email_events set event_type = ' Clicked ' where event_id = 'email_events-0'",
        "update raw.email_events set event_type = 'OPENED' where event_id = 'email_events-1'",
        "update raw.consent_events set channel = 'SMS ', status = ' Opted_Out'",
        "update raw.orders set status = 'Refunded'",
    )
    for table in ("email_events", "consent_events", "orders"):
        result = check(warehouse, table)
        assert result.success and not result.failures, [str(f) for f in result.failures]


# Each case: (table, SQL that spoils it, rule expected to fail, column, text in the message)
BAD_DATA = {
    "duplicate key": (
        "web_events",
        "insert into raw.web_events (event_id, anonymous_id, event_type, occurred_at) "
        "select event_id, anonymous_id, event_type, occurred_at from raw.web_events "
        "where event_id = 'web_events-0'",
        "unique_key",
        "event_id",
        "2 rows share a duplicate key: 'web_events-0'",
    ),
    "duplicate compound key": (
        "order_items",
        "insert into raw.order_items (order_id, line_number, quantity) values ('orders-0', 1, 1)",
        "unique_key",
        "order_id+line_number",
        "('orders-0', 1)",
    ),
    "null key": (
        "crm_contacts",
        "update raw.crm_contacts set contact_id = null where contact_id = 'crm_contacts-1'",
        "not_null",
        "contact_id",
        "1 null value",
    ),
    "unknown enum value": (
        "email_events",
        "update raw.email_events set event_type = case event_id when 'email_events-0' "
        "then 'cliked' else 'opend' end",
        "enum",
        "event_type",
        "3 rows with 2 unknown values: 'opend' (2), 'cliked' (1)",
    ),
    "future timestamp": (
        "sms_events",
        "update raw.sms_events set occurred_at = timestamp '2031-01-01' "
        "where event_id = 'sms_events-2'",
        "future_time",
        "occurred_at",
        "max occurred_at 2031-01-01 00:00:00 is 6 years in the future",
    ),
    "negative amount": (
        "orders",
        "update raw.orders set order_total = -5 where order_id = 'orders-0'",
        "range",
        "order_total",
        "1 value below 0: -5.00",
    ),
    "negative quantity": (
        "order_items",
        "update raw.order_items set quantity = -1 where line_number = 2",
        "range",
        "quantity",
        "below 0: -1",
    ),
    "negative cost": (
        "ad_events",
        "update raw.ad_events set cost = -0.25",
        "range",
        "cost",
        "3 values below 0: -0.2500",
    ),
    "orphan order item": (
        "order_items",
        "insert into raw.order_items (order_id, line_number, quantity) "
        "values ('no-such-order', 1, 1)",
        "reference",
        "order_id",
        "1 row references 1 value missing from raw.orders.order_id: 'no-such-order' (1)",
    ),
    "csat out of range": (
        "support_tickets",
        "update raw.support_tickets set csat = 9 where ticket_id = 'support_tickets-0'",
        "range",
        "csat",
        "1 value outside 1..5: 9",
    ),
    "sentiment out of range": (
        "chat_events",
        "update raw.chat_events set sentiment = -1.5 where event_id = 'chat_events-0'",
        "range",
        "sentiment",
        "outside -1..1: -1.5",
    ),
    "resolved before opened": (
        "support_tickets",
        "update raw.support_tickets set resolved_at = opened_at - interval 1 hour",
        "order",
        "resolved_at",
        "3 rows where resolved_at is before opened_at",
    ),
    "missing required column": (
        "products",
        "alter table raw.products drop column category",
        "column_exists",
        "category",
        "required column is missing",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATA), ids=list(BAD_DATA))
def test_each_rule_fails_on_bad_data_with_a_readable_message(warehouse, case):
    table, spoil, rule, column, text = BAD_DATA[case]
    assert check(warehouse, table).success  # the same table passes before it is spoiled

    run_sql(warehouse, spoil)
    result = check(warehouse, table)

    assert result.status == "failed" and not result.success
    matching = [f for f in result.errors if f.rule == rule and f.column == column]
    assert matching, [str(f) for f in result.failures]
    assert text in matching[0].observed, matching[0].observed
    assert result.failed == len(result.errors) >= 1


def test_missing_table_is_skipped_not_a_crash(warehouse):
    run_sql(warehouse, "drop table raw.push_events")
    report = validate(warehouse, ["push_events", "sms_events"], now=NOW)
    push = report.table("push_events")
    assert push.status == "skipped" and push.success
    assert "not loaded" in push.reason
    assert report.success  # a source not delivered is not bad data
    assert validate_table(warehouse, "push_events", now=NOW).skipped


def test_reference_is_noted_not_failed_when_orders_are_not_loaded(warehouse):
    run_sql(warehouse, "drop table raw.orders")
    result = check(warehouse, "order_items")
    assert result.success
    assert any("raw.orders is not loaded" in note for note in result.notes)


def test_an_empty_table_only_warns(warehouse):
    run_sql(warehouse, "delete from raw.products")
    result = check(warehouse, "products")
    assert result.success and result.status == "passed"
    assert [f.rule for f in result.warnings] == ["row_count"]
    assert result.row_count == 0


def test_future_tolerance_comes_from_the_environment(warehouse, monkeypatch):
    soon = NOW + timedelta(hours=10)
    run_sql(warehouse, f"update raw.push_events set occurred_at = timestamp '{soon}'")
    assert check(warehouse, "push_events").success  # within the default 24 h

    monkeypatch.setenv("CHORUS_FUTURE_TOLERANCE_HOURS", "2")
    result = check(warehouse, "push_events")
    assert not result.success
    assert "10 hours in the future (3 rows beyond the 2 h tolerance)" in result.errors[0].observed

    monkeypatch.setenv("CHORUS_FUTURE_TOLERANCE_HOURS", "a day")
    with pytest.raises(ValueError, match="CHORUS_FUTURE_TOLERANCE_HOURS"):
        check(warehouse, "push_events")


def test_warning_rules_report_without_failing(warehouse):
    run_sql(warehouse, "update raw.orders set currency = 'euro' where order_id = 'orders-1'")
    result = check(warehouse, "orders")
    assert result.success
    assert [f.observed for f in result.warnings] == [
        "1 row with 1 value not a 3-letter currency code: 'euro' (1)"
    ]


def test_table_result_metadata_suits_dagster(warehouse):
    run_sql(warehouse, "update raw.support_tickets set csat = 0")
    result = validate_table(warehouse, "support_tickets", now=NOW)
    metadata = result.metadata()
    assert all(isinstance(v, (str, int, float, bool)) for v in metadata.values()), metadata
    assert metadata["table"] == "raw.support_tickets"
    assert metadata["status"] == "failed"
    assert metadata["expectations_failed"] == 1
    assert metadata["expectations_evaluated"] == result.evaluated > 1
    assert metadata["row_count"] == ROWS
    assert metadata["rejected_rows"] == 1
    assert "3 values outside 1..5: 0" in metadata["failures"]


def test_render_lists_tables_and_failures(warehouse):
    from rich.console import Console

    run_sql(warehouse, "update raw.web_events set event_type = 'cliked'")
    run_sql(warehouse, "drop table raw.app_events")
    report = validate(warehouse, ["web_events", "app_events", "orders"], now=NOW)
    out = io.StringIO()
    Console(file=out, width=220, color_system=None).print(render(report))
    text = out.getvalue()
    assert not report.success
    assert "web_events" in text and "3 rows with 1 unknown value: 'cliked' (3)" in text
    assert "raw.app_events does not exist" in text
    assert "3 tables: 1 passed, 1 failed, 1 skipped" in text


def test_one_validator_can_check_the_same_table_twice(warehouse):
    from expectations.runner import RawValidator

    run_sql(warehouse, "update raw.products set price = -1")
    with RawValidator(warehouse, now=NOW) as validator:
        assert validator.read_only  # nothing else holds the file in this process
        first, second = (validator.validate_table("products") for _ in range(2))
    assert [str(f) for f in first.failures] == [str(f) for f in second.failures]
    assert first.errors[0].observed == "3 values below 0: -1.00"


def test_a_suite_that_cannot_run_fails_its_table_only(warehouse, monkeypatch):
    import expectations.runner as runner

    real = runner.build_suite

    def broken(table, ctx, name=None):
        if table == "orders":
            raise RuntimeError("boom\nsecond line")
        return real(table, ctx, name)

    monkeypatch.setattr(runner, "build_suite", broken)
    report = validate(warehouse, ["orders", "products"], now=NOW)
    assert report.table("products").success
    orders = report.table("orders")
    assert orders.status == "failed"
    assert orders.errors[0].observed == "suite could not run: boom"


def test_unknown_table_and_missing_warehouse_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown raw table"):
        validate(tmp_path / "x.duckdb", ["webevents"])
    with pytest.raises(FileNotFoundError, match="chorus load"):
        validate(tmp_path / "nowhere.duckdb")


def test_validation_reads_only_and_releases_the_file(warehouse):
    before = warehouse.stat().st_mtime_ns
    validate(warehouse, ["orders", "order_items"], now=NOW)
    assert warehouse.stat().st_mtime_ns == before
    # the file is free again: a writer (the loader, dbt) can open it at once
    run_sql(warehouse, "create table raw.scratch as select 1 as x")


def test_validation_joins_a_connection_this_process_already_holds(warehouse):
    from orchestration.settings import connect

    con = connect(warehouse)  # read-write, as a Dagster in-process step might hold it
    try:
        con.execute("update raw.web_events set event_id = 'dup'")
        result = validate_table(warehouse, "web_events", now=NOW)
    finally:
        con.close()
    assert [f.rule for f in result.errors] == ["unique_key"]


@pytest.mark.skipif(
    not os.environ.get("CHORUS_GX_BENCH_ROWS"),
    reason="benchmark: set CHORUS_GX_BENCH_ROWS (e.g. 2000000) to run",
)
def test_runtime_on_a_large_table(tmp_path):
    rows = int(os.environ["CHORUS_GX_BENCH_ROWS"])
    path = create_raw(tmp_path / "big.duckdb", rows=0)
    run_sql(
        path,
        f"""insert into raw.web_events select
            'evt-' || i, 'anon-' || (i % 500000),
            case when i % 3 = 0 then 'user-' || (i % 200000) end,
            case when i % 5 = 0 then ' User' || (i % 200000) || '@Example.com' end,
            (['page_view', 'Product_View', ' add_to_cart', 'checkout_started', 'identify',
              'form_submit', 'unsubscribe_page_view'])[1 + (i % 7)],
            'p' || (i % 5000), '/p/' || (i % 5000), 'google', 'cpc', 'c' || (i % 40),
            timestamp '2024-03-01' + to_seconds(i % 7776000),
            'web_events.parquet', i, timestamp '2024-06-01', 'load-1'
            from range({rows}) as t(i)""",
    )
    started = time.perf_counter()
    result = validate_table(path, "web_events", now=NOW)
    seconds = time.perf_counter() - started
    print(f"\nweb_events: {rows:,} rows, {result.evaluated} expectations in {seconds:.2f} s")
    assert result.success and result.row_count == rows, [str(f) for f in result.failures]
