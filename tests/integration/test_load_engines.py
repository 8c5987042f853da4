"""`chorus load` on the postgres and spark targets: checked in DuckDB, then every raw table
copied to the target's schema raw, equal to DuckDB's, idempotent on reload, atomic per
table, and self-healing when the target missed a copy. On a real PostgreSQL server and a
real local Spark session."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import psycopg2
import pytest

from orchestration.engines import postgres
from orchestration.loader import load_directory
from orchestration.loader.publish import postgres_type
from tests.fixtures.postgres_rows import pg_rows


def _duck_rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _raw_tables(db: Path) -> list[str]:
    return [
        name
        for (name,) in _duck_rows(
            db, "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        )
    ]


def _changed_copy(source: Path, dest: Path) -> Path:
    """tiny_data with one product's price changed: a reload updates one row of a
    mutable table, so the row count stays and the content moves."""
    shutil.copytree(source, dest)
    (dest / "products.parquet").unlink()
    duckdb.sql(
        f"""copy (select * replace (case when product_id = (select min(product_id) from
                  read_parquet('{source / "products.parquet"}')) then price + 1 else price
                  end as price)
              from read_parquet('{source / "products.parquet"}'))
            to '{dest / "products.parquet"}' (format parquet)"""
    )
    return dest


@pytest.mark.slow
def test_postgres_raw_equals_duckdb_and_reload_copies_nothing(tiny_data, tmp_path, postgres_db):
    db = tmp_path / "check.duckdb"
    first = load_directory(tiny_data, db_path=db, target="postgres")
    assert first.published is not None and first.published.target == "postgres"
    tables = _raw_tables(db)
    assert set(first.published.copied) == set(tables)
    for table in tables:
        columns = [
            (name, type_)
            for name, type_ in _duck_rows(
                db,
                "select column_name, data_type from duckdb_columns() where schema_name = 'raw' "
                f"and table_name = '{table}' order by column_index",
            )
        ]
        # the same rows, value for value (arrays and timestamps included), in the same types
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        ours = _duck_rows(db, f"select * from raw.{table} order by {order}")
        theirs = pg_rows(f'select * from raw."{table}" order by {order}')
        assert [tuple(r) for r in theirs] == [
            tuple(list(v) if isinstance(v, list) else v for v in r) for r in ours
        ], table
        pg_types = dict(
            pg_rows(
                "select column_name, udt_name from information_schema.columns "
                f"where table_schema = 'raw' and table_name = '{table}'"
            )
        )
        for name, type_ in columns:
            expected = postgres_type(type_)
            base = expected.removesuffix("[]")
            udt = {"numeric"} if base.startswith("numeric") else _UDT[base]
            assert pg_types[name].lstrip("_") in udt, (table, name)

    again = load_directory(tiny_data, db_path=db, target="postgres")
    # only the loader's own log moves (one more load: its rows appended); every data
    # table is as it was
    assert again.published.copied == {}
    assert set(again.published.appended) == {"load_log"}
    assert pg_rows("select count(distinct load_id) from raw.load_log") == [(2,)]
    assert pg_rows("select count(*) from raw.load_log") == _duck_rows(
        db, "select count(*) from raw.load_log"
    )


def _new_events(folder: Path) -> Path:
    from tests.fixtures.contract_rows import write_csv

    write_csv(
        folder,
        "web_events",
        [
            {
                "event_id": f"web-append-{i}",
                "anonymous_id": f"cookie-append-{i}",
                "event_type": "page_view",
                "occurred_at": "2026-10-30T10:00:00Z",
            }
            for i in range(3)
        ],
    )
    return folder


@pytest.mark.slow
def test_postgres_new_events_are_appended_not_recopied(tiny_data, tmp_path, postgres_db):
    db = tmp_path / "check.duckdb"
    load_directory(tiny_data, db_path=db, target="postgres")
    ((ctid_before,),) = pg_rows("select min(ctid::text) from raw.web_events")
    summary = load_directory(
        _new_events(tmp_path / "new"), db_path=db, tables=["web_events"], target="postgres"
    )
    assert summary.published.appended["web_events"] == 3
    assert "web_events" not in summary.published.copied
    # the old rows were not rewritten (a TRUNCATE and COPY would move them)
    assert pg_rows("select min(ctid::text) from raw.web_events") == [(ctid_before,)]
    assert sorted(pg_rows("select event_id from raw.web_events")) == sorted(
        _duck_rows(db, "select event_id from raw.web_events")
    )


_UDT = {
    "text": {"text"},
    "bigint": {"int8"},
    "integer": {"int4"},
    "smallint": {"int2"},
    "double precision": {"float8"},
    "real": {"float4"},
    "boolean": {"bool"},
    "timestamp": {"timestamp"},
    "timestamptz": {"timestamptz"},
    "date": {"date"},
}


@pytest.mark.slow
def test_postgres_update_moves_fingerprint_and_failed_copy_leaves_table(
    tiny_data, tmp_path, postgres_db
):
    db = tmp_path / "check.duckdb"
    load_directory(tiny_data, db_path=db, target="postgres")
    before = pg_rows("select product_id, price from raw.products order by 1")

    # a copy that PostgreSQL refuses (a constraint the new rows break) must leave the
    # table exactly as it was: TRUNCATE and COPY share one transaction
    con = postgres.connect()
    with con, con.cursor() as cur:
        cur.execute("select min(_load_id) from raw.products")
        (first_load,) = cur.fetchone()
        cur.execute(
            f"alter table raw.products add constraint frozen check (_load_id = '{first_load}')"
        )
    con.close()
    changed = _changed_copy(tiny_data, tmp_path / "changed")
    with pytest.raises(psycopg2.errors.CheckViolation):
        load_directory(changed, db_path=db, target="postgres")
    assert pg_rows("select product_id, price from raw.products order by 1") == before

    # DuckDB kept the update (its load committed); the next load, with nothing new,
    # still brings PostgreSQL up to date: the fingerprints differ
    con = postgres.connect()
    with con, con.cursor() as cur:
        cur.execute("alter table raw.products drop constraint frozen")
    con.close()
    healed = load_directory(changed, db_path=db, target="postgres")
    assert "products" in healed.published.copied
    after = dict(pg_rows("select product_id, price from raw.products"))
    ours = dict(_duck_rows(db, "select product_id, price from raw.products"))
    assert after == ours and after != dict(before)


@pytest.mark.slow
def test_postgres_new_database_catches_up_without_new_data(tiny_data, tmp_path, postgres_db):
    """A load that changes nothing in DuckDB still fills a target that has never seen it
    (a new server, a dropped schema)."""
    db = tmp_path / "check.duckdb"
    load_directory(tiny_data, db_path=db, target="duckdb")
    summary = load_directory(tiny_data, db_path=db, target="postgres")
    assert summary.total.inserted == 0  # nothing new for DuckDB ...
    orders = _duck_rows(db, "select count(*) from raw.orders")
    assert pg_rows("select count(*) from raw.orders") == orders  # ... all of it for PG


def test_unreachable_postgres_stops_the_load_before_anything_is_written(
    tiny_data, tmp_path, monkeypatch
):
    from orchestration.engines.local_postgres import free_port
    from orchestration.warehouse import WarehouseError

    port = free_port()  # nobody listens there
    monkeypatch.setenv("CHORUS_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("CHORUS_PG_PORT", str(port))
    db = tmp_path / "check.duckdb"
    with pytest.raises(WarehouseError) as caught:
        load_directory(tiny_data, db_path=db, target="postgres")
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "CHORUS_PG_HOST" in caught.value.hint and "CHORUS_PG_PORT" in caught.value.hint
    assert not db.exists()


# ---------------------------------------------------------------------------------------
# Spark


@pytest.mark.spark
def test_spark_raw_equals_duckdb_with_timestamps_and_swaps_atomically(
    tiny_data, tmp_path, spark_target
):
    from orchestration.engines import spark
    from orchestration.loader.publish import BOOKKEEPING

    db = tmp_path / "check.duckdb"
    first = load_directory(tiny_data, db_path=db, target="spark")
    session = spark.session()
    tables = _raw_tables(db)
    assert set(first.published.copied) == set(tables)
    for table in tables:
        key = BOOKKEEPING.get(table, "_load_id")
        ours = _duck_rows(db, f"select count(*), max({key}) from raw.{table}")[0]
        row = session.sql(f"select count(*), max({key}) from raw.{table}").collect()[0]
        assert (row[0], row[1]) == ours, table
    types = dict(session.sql("select * from raw.orders").dtypes)
    assert types["ordered_at"] == "timestamp" and types["_loaded_at"] == "timestamp"
    # timestamps are the same instants, to the microsecond
    duck_ts = _duck_rows(db, "select order_id, ordered_at from raw.orders order by 1")
    spark_ts = [
        (r[0], r[1])
        for r in session.sql("select order_id, ordered_at from raw.orders order by 1").collect()
    ]
    assert spark_ts == duck_ts

    location = _location(session, "raw.products")
    again = load_directory(tiny_data, db_path=db, target="spark")
    assert again.published.copied == {} and set(again.published.appended) == {"load_log"}
    assert _location(session, "raw.products") == location  # untouched: not rewritten

    # new events: one more file in the table's folder, the old ones untouched
    events = Path(_location(session, "raw.web_events").removeprefix("file:"))
    files_before = sorted(p.name for p in events.iterdir())
    appended = load_directory(
        _new_events(tmp_path / "new"), db_path=db, tables=["web_events"], target="spark"
    )
    assert appended.published.appended["web_events"] == 3
    files_after = sorted(p.name for p in events.iterdir())
    assert set(files_before) < set(files_after) and len(files_after) == len(files_before) + 1
    assert sorted(r[0] for r in session.sql("select event_id from raw.web_events").collect()) == (
        sorted(r[0] for r in _duck_rows(db, "select event_id from raw.web_events"))
    )

    changed = _changed_copy(tiny_data, tmp_path / "changed")
    third = load_directory(changed, db_path=db, target="spark")
    assert "products" in third.published.copied
    new_location = _location(session, "raw.products")
    assert new_location != location and not Path(location.removeprefix("file:")).exists()
    prices = dict(
        (r[0], r[1]) for r in session.sql("select product_id, price from raw.products").collect()
    )
    assert prices == dict(_duck_rows(db, "select product_id, price from raw.products"))


def _location(session, table: str) -> str:
    rows = session.sql(f"describe table extended {table}").collect()
    return next(r["data_type"] for r in rows if r["col_name"] == "Location")


def test_a_database_with_other_text_rules_is_refused(tiny_data, tmp_path, postgres_server):
    """A database whose ctype is C lowers only ASCII (lower('JOSÉ') = 'josÉ') and one
    whose collation is a language's orders text unlike DuckDB and Spark: the same models
    would give other customers. The load stops first and says how to create it."""
    import uuid

    from orchestration.engines import local_postgres
    from orchestration.warehouse import WarehouseError

    env = postgres_server.env()
    admin = local_postgres.admin(postgres_server)
    name = f"t_ascii_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in {**env, "CHORUS_PG_DBNAME": name}.items():
                patch.setenv(key, value)
            with pytest.raises(WarehouseError) as caught:
                load_directory(tiny_data, db_path=tmp_path / "c.duckdb", target="postgres")
        assert "ctype C" in caught.value.message
        assert "LC_CTYPE 'C.UTF-8'" in caught.value.hint
        assert not (tmp_path / "c.duckdb").exists()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()
