"""One small business, loaded and built on DuckDB, PostgreSQL and Spark: every seed and
every mart must be the same on each engine.

- the same row sets after sorting;
- numbers within 1e-9;
- timestamps to the second;
- customer ids (and every other text) identical.

The relations compared are every table and view dbt builds in the schemas `seeds` and
`marts`, read from the DuckDB build, so a new mart is covered the day it is added. PostgreSQL
runs in `make test`; Spark in `make test-spark` (marker `spark`).
"""

from __future__ import annotations

import difflib
import math
import os
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.dbt import run_dbt
from orchestration.loader import load_directory
from orchestration.settings import connect

pytestmark = pytest.mark.slow

SIZE = {"customers": 2_500, "days": 45, "seed": 11}
COMPARED_SCHEMAS = ("seeds", "marts")
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def business(tmp_path_factory) -> Path:
    from orchestration.sample_data import generate

    out = tmp_path_factory.mktemp("equivalence") / "data"
    generate(out, **SIZE)
    return out


@pytest.fixture(scope="module")
def as_of() -> str:
    """One as_of for every engine, inside the generated window (which ends 2026-11-01):
    pinned, so the comparison is about the engines alone."""
    return "2026-10-31 12:00:00"


def _build(data: Path, db: Path, work: Path, as_of: str, target: str, *args: str) -> None:
    os.environ["CHORUS_DBT_TARGET"] = target
    summary = load_directory(data, db_path=db, target=target)
    assert summary.total.rejected > 0  # the sample business plants bad rows
    started = time.perf_counter()
    outcome = run_dbt(["build", *args], vars={"chorus_as_of": as_of}, db_path=db, work_dir=work)
    assert outcome.success, outcome.failures[:10] or outcome.exception
    print(f"{target}: dbt build {time.perf_counter() - started:.1f} s, {outcome.counts}")


@pytest.fixture(scope="module")
def duckdb_warehouse(business, as_of, tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("eq_duckdb")
    db = work / "reference.duckdb"
    previous = os.environ.get("CHORUS_DBT_TARGET")
    try:
        _build(business, db, work, as_of, "duckdb")
    finally:
        _restore("CHORUS_DBT_TARGET", previous)
    return db


@pytest.fixture(scope="module")
def duckdb_reference(duckdb_warehouse) -> dict[str, list[tuple]]:
    con = connect(duckdb_warehouse, read_only=True)
    try:
        relations = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name in "
                f"{COMPARED_SCHEMAS} union all select schema_name, view_name from"
                f" duckdb_views() where not internal and schema_name in {COMPARED_SCHEMAS}"
                " order by 1, 2"
            ).fetchall()
        ]
        out = {}
        for relation in relations:
            cursor = con.execute(f"select * from {relation}")
            columns = [d[0].lower() for d in cursor.description]
            out[relation] = (columns, cursor.fetchall())
        return out
    finally:
        con.close()


def _restore(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def normalize(value):
    """One comparable form per value: timestamps as naive UTC to the second, decimals
    as floats, arrays as tuples."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, date | str | bool | int | float) or value is None:
        return value
    return str(value)


def _sort_key(row: tuple) -> tuple:
    # floats rounded for ordering only (their equality is checked with the tolerance);
    # None sorts first; mixed types compare by their text
    return tuple(
        (0, "") if v is None else (1, f"{v:.6e}" if isinstance(v, float) else str(v)) for v in row
    )


# the warehouse's bookkeeping, not results: when each engine's own load stamped the rows
# and its build ran (the incremental builds' watermarks), and checksums of the seeds
# as each engine's driver prints their values (a fit's key holds one)
# run_id, logged_at: decision_log names the dbt invocation and its start time
BOOKKEEPING_COLUMNS = {
    "last_loaded_at",
    "built_at",
    "seeds_checksum",
    "fit_key",
    "run_id",
    "logged_at",
}


def _without_load_times(relation):
    columns, rows = relation
    keep = [i for i, c in enumerate(columns) if c not in BOOKKEEPING_COLUMNS]
    return [columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows]


def assert_same_relation(relation: str, expected, actual, engine: str) -> None:
    exp_cols, exp_rows = _without_load_times(expected)
    act_cols, act_rows = _without_load_times(actual)
    assert act_cols == exp_cols, f"{relation}: columns differ on {engine}"
    assert len(act_rows) == len(exp_rows), f"{relation}: {len(act_rows)} rows on {engine}"
    ours = sorted((tuple(normalize(v) for v in r) for r in exp_rows), key=_sort_key)
    theirs = sorted((tuple(normalize(v) for v in r) for r in act_rows), key=_sort_key)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for column, x, y in zip(exp_cols, a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                numbers = all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)
                )
                same = numbers and math.isclose(x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
            else:
                same = x == y and type(x) is type(y)
            assert same, (
                f"{relation} row {i} column {column}: duckdb {x!r} != {engine} {y!r}\n"
                f"duckdb row: {a}\n{engine} row: {b}"
            )


def _fetch_native(relations: list[str]) -> dict[str, tuple[list[str], list[tuple]]]:
    from orchestration.engines.reader import Native

    native = Native()
    try:
        out = {}
        for relation in relations:
            columns, rows = native.query(f"select * from {relation}")
            out[relation] = ([c.lower() for c in columns], rows)
        return out
    finally:
        native.close()


def _compare(reference, engine: str) -> None:
    assert any(r.startswith("marts.") for r in reference) and any(
        r.startswith("seeds.") for r in reference
    )
    actual = _fetch_native(list(reference))
    for relation, expected in reference.items():
        assert_same_relation(relation, expected, actual[relation], engine)


def _decide_again(reference, db: Path, work: Path, as_of: str, engine: str) -> None:
    """A second run of the send queue for the same as_of: decision_log (materialized
    'ledger') inserts its rows after the first run's, and send_queue, the latest run,
    is the same queue."""
    outcome = run_dbt(
        ["run", "--select", "decision_log", "send_queue"],
        vars={"chorus_as_of": as_of},
        db_path=db,
        work_dir=work,
    )
    assert outcome.success, outcome.failures[:10] or outcome.exception
    actual = _fetch_native(["marts.send_queue", "marts.decision_log"])
    assert_same_relation(
        "marts.send_queue", reference["marts.send_queue"], actual["marts.send_queue"], engine
    )
    columns, rows = actual["marts.decision_log"]
    runs = {row[columns.index("run_id")] for row in rows}
    assert len(runs) == 2 and len(rows) == 2 * len(reference["marts.send_queue"][1])


def _log_indexes() -> list[str]:
    """The column lists of decision_log's indexes on PostgreSQL, e.g. '(logged_at)'."""
    indexes = _fetch_native(["pg_indexes"])["pg_indexes"]
    columns = indexes[0]
    return sorted(
        row[columns.index("indexdef")].split(" USING btree ")[-1]
        for row in indexes[1]
        if row[columns.index("tablename")] == "decision_log"
    )


def _explained(target: str, db: Path, *args: str) -> tuple[int, str]:
    """A `chorus` command (`explain`, `identity-explain`) on a target: its exit code and
    output without its notes (which name the engine)."""
    from typer.testing import CliRunner

    from orchestration.cli import app

    result = CliRunner().invoke(
        app, [*args, "--target", target], env={"CHORUS_DUCKDB_PATH": str(db), "COLUMNS": "240"}
    )
    lines = [line for line in result.output.splitlines() if not line.startswith("note:")]
    return result.exit_code, "\n".join(lines)


def _column(reference, relation: str, name: str, row: tuple):
    return row[reference[relation][0].index(name)]


def _explain_the_same(reference, reference_db: Path, as_of: str, engine: str) -> None:
    """The engine explains what DuckDB explains, to the character.
    - `chorus explain`: a customer with a send, a hold and a suppression, by id, by email
      and by the as_of of its run, and an identifier of no one (the one-line error).
    - `chorus identity-explain`: a customer by id, by email and with `--with` (the chain
      from their email to their phone), and a shared value (the limit that held it
      back and the values counted)."""
    decisions: dict[str, set] = {}
    for row in reference["marts.send_queue"][1]:
        customer = _column(reference, "marts.send_queue", "customer_id", row)
        decisions.setdefault(customer, set()).add(
            _column(reference, "marts.send_queue", "decision", row)
        )
    contact = {
        _column(reference, "marts.customers", "customer_id", row): (
            _column(reference, "marts.customers", "primary_email", row),
            _column(reference, "marts.customers", "primary_phone", row),
        )
        for row in reference["marts.customers"][1]
    }
    decided = min(c for c, d in decisions.items() if len(d) == 3 and contact[c][0])
    linked = min(c for c, (email, phone) in contact.items() if email and phone)
    email, phone = contact[linked]
    shared = min(
        _column(reference, "marts.customer_identifiers", "identifier_value", row)
        for row in reference["marts.customer_identifiers"][1]
        if _column(reference, "marts.customer_identifiers", "is_shared", row)
    )
    cases = {
        "explain by id": (["explain", decided], "candidate messages"),
        "explain by email": (
            ["explain", contact[decided][0].upper()],
            f"customer {decided} (found by",
        ),
        "explain by as_of": (["explain", decided, "--as-of", as_of], "decisions as of"),
        "explain no one": (["explain", "nobody@example.org"], "no customer with the identifier"),
        "identity by id": (["identity-explain", linked], linked),
        "identity by email, with phone": (
            ["identity-explain", email.upper(), "--with", phone],
            "belongs to customer",
        ),
        "identity of a shared value": (["identity-explain", shared], "shared"),
    }
    for case, (args, shown) in cases.items():
        expected = _explained("duckdb", reference_db, *args)
        assert shown in expected[1], f"duckdb, {case}: {expected[1]}"
        actual = _explained(engine, reference_db, *args)
        difference = "\n".join(
            difflib.unified_diff(expected[1].splitlines(), actual[1].splitlines(), lineterm="")
        )
        assert actual == expected, f"{engine}, {case} (exit {actual[0]}):\n{difference}"


def test_postgres_builds_the_same_marts_as_duckdb(
    duckdb_reference, duckdb_warehouse, business, as_of, tmp_path, postgres_db
):
    _build(business, tmp_path / "check.duckdb", tmp_path, as_of, "postgres")
    _compare(duckdb_reference, "postgres")
    # send_queue finds the latest run of the log by its index on logged_at, made with
    # the log and never made twice
    assert _log_indexes() == ["(logged_at)"]
    _decide_again(duckdb_reference, tmp_path / "check.duckdb", tmp_path, as_of, "postgres")
    assert _log_indexes() == ["(logged_at)"]
    # a log from before the index gains it on its next run
    from orchestration.engines.postgres import connect

    con = connect(autocommit=True)
    try:
        with con.cursor() as cur:
            cur.execute("select indexname from pg_indexes where tablename = 'decision_log'")
            for (name,) in cur.fetchall():
                cur.execute(f'drop index marts."{name}"')
    finally:
        con.close()
    assert _log_indexes() == []
    outcome = run_dbt(
        ["run", "--select", "decision_log"],
        vars={"chorus_as_of": as_of},
        db_path=tmp_path / "check.duckdb",
        work_dir=tmp_path,
    )
    assert outcome.success, outcome.failures[:10] or outcome.exception
    assert _log_indexes() == ["(logged_at)"]
    _explain_the_same(duckdb_reference, duckdb_warehouse, as_of, "postgres")


@pytest.mark.spark
def test_spark_builds_the_same_marts_as_duckdb(
    duckdb_reference, duckdb_warehouse, business, as_of, tmp_path, spark_target
):
    os.environ["TZ"] = "UTC"  # pyspark turns timestamps into the process's local time
    time.tzset()
    # every seed, model and data test; the unit tests run on Spark in
    # test_spark_passes_every_unit_test (make test-spark-full: too slow for CI)
    _build(
        business,
        tmp_path / "check.duckdb",
        tmp_path,
        as_of,
        "spark",
        "--exclude-resource-type",
        "unit_test",
    )
    _compare(duckdb_reference, "spark")
    _decide_again(duckdb_reference, tmp_path / "check.duckdb", tmp_path, as_of, "spark")
    _explain_the_same(duckdb_reference, duckdb_warehouse, as_of, "spark")


@pytest.mark.spark_full
def test_spark_passes_every_unit_test(tmp_path, spark_target):
    """dbt's unit tests on Spark: they need only the seeds and the models' relations
    (built empty), not data."""
    import duckdb

    from orchestration.loader.publish import open_writer, publish
    from tests.fixtures.raw_fixture import create_raw_fixture

    db = tmp_path / "check.duckdb"
    create_raw_fixture(db, empty=True)
    con, writer = duckdb.connect(str(db)), open_writer("spark")
    try:
        publish(con, writer)
    finally:
        con.close()
    as_of = {"chorus_as_of": "2026-10-31 12:00:00"}
    for command in (["seed"], ["run", "--empty"], ["test", "--select", "test_type:unit"]):
        outcome = run_dbt(command, vars=as_of, db_path=db, work_dir=tmp_path)
        assert outcome.success, outcome.failures[:10] or outcome.exception
    assert outcome.counts.get("pass", 0) >= 20, outcome.counts


def test_the_comparison_catches_drift():
    """The comparison fails on each kind of difference it is there to catch."""
    base = (["customer_id", "score", "at"], [("cus_1", 0.5, datetime(2026, 1, 1, 12, 0, 0))])
    assert_same_relation("t", base, base, "same")
    # reordered rows, sub-second timestamps and tiny float noise are equal
    assert_same_relation(
        "t",
        base,
        (base[0], [("cus_1", 0.5 + 1e-12, datetime(2026, 1, 1, 12, 0, 0, 999))]),
        "noise",
    )
    # each engine's own load time (and build time, seeds checksum) is not compared; every
    # other column is
    loaded = (["customer_id", "last_loaded_at"], [("cus_1", datetime(2026, 1, 1))])
    assert_same_relation("t", loaded, (loaded[0], [("cus_1", datetime(2026, 1, 2))]), "load")
    with pytest.raises(AssertionError):
        assert_same_relation("t", loaded, (loaded[0], [("cus_2", datetime(2026, 1, 1))]), "id")
    for changed in (
        [("cus_2", 0.5, datetime(2026, 1, 1, 12, 0, 0))],  # another customer id
        [("cus_1", 0.5001, datetime(2026, 1, 1, 12, 0, 0))],  # a number beyond 1e-9
        [("cus_1", 0.5, datetime(2026, 1, 1, 12, 0, 1))],  # another second
        [("cus_1", None, datetime(2026, 1, 1, 12, 0, 0))],  # a NULL
        [("cus_1", "None", datetime(2026, 1, 1, 12, 0, 0))],  # the text 'None'
    ):
        with pytest.raises(AssertionError):
            assert_same_relation("t", base, (base[0], changed), "drift")
    with pytest.raises(AssertionError):
        assert_same_relation("t", base, (["customer_id", "score", "when"], base[1]), "cols")
