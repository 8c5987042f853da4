"""The raw loader against real DuckDB files: every reject reason, malformed CSV lines,
header contract errors, extra columns, UTC timestamps, idempotent reloads, mutable
updates, folders of CSV/Parquet files and count reconciliation."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import BOOLEAN, DOUBLE, INTEGER, STRING, TABLES, TIMESTAMP
from orchestration.loader import (
    ROW_COLUMNS,
    ContractError,
    ReconciliationError,
    load_directory,
    load_table,
)
from orchestration.loader import load as load_module

# -- helpers ----------------------------------------------------------------------------


def valid_row(table: str, **values: str | None) -> dict[str, str | None]:
    """A row that passes every check of `table`, derived from the contract, with overrides."""
    row: dict[str, str | None] = {}
    for col in TABLES[table].columns:
        if col.enum:
            row[col.name] = col.enum[0]
        elif col.type == STRING:
            row[col.name] = f"{col.name}-1"
        elif col.type == TIMESTAMP:
            row[col.name] = "2024-03-01T12:00:00Z"
        elif col.type == INTEGER:
            row[col.name] = "1"
        elif col.type == BOOLEAN:
            row[col.name] = "false"
        elif col.type == DOUBLE:
            row[col.name] = "0.5"
        else:  # money / cost decimals
            row[col.name] = "9.99"
    row.update(values)
    return row


def write_csv(path: Path, rows: list[dict[str, str | None]], header: list[str] | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = header or list(rows[0])
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row[h] for h in header])
    return path


def write_parquet(path: Path, rows: list[dict[str, str | None]], types: dict | None = None):
    """Parquet with VARCHAR columns (as exports with string timestamps), or `types`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    types = types or {}
    header = list(rows[0])
    con = duckdb.connect()
    select = ", ".join(
        f'CAST(c{i} AS {types.get(h, "VARCHAR")}) AS "{h}"' for i, h in enumerate(header)
    )
    values = ", ".join(
        "("
        + ", ".join(
            "NULL" if r[h] is None else "'" + str(r[h]).replace("'", "''") + "'" for h in header
        )
        + ")"
        for r in rows
    )
    cols = ", ".join(f"c{i}" for i in range(len(header)))
    con.execute(
        f"COPY (SELECT {select} FROM (VALUES {values}) t({cols})) TO '{path}' (FORMAT parquet)"
    )
    con.close()
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def rejects(db: Path, table: str) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(
            "SELECT table_name, source_file, row_number, reason, detail, row_json "
            "FROM raw.rejected_rows WHERE table_name = ? ORDER BY source_file, row_number",
            [table],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "exports"
    path.mkdir()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def events(*rows: dict) -> list[dict]:
    return [valid_row("web_events", **{"event_id": f"e{i}", **r}) for i, r in enumerate(rows, 1)]


# -- reject reasons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "reason", "detail_part"),
    [
        ({"event_id": ""}, "missing_value", "column event_id is empty"),
        ({"occurred_at": "   "}, "missing_value", "column occurred_at is empty"),
        ({"occurred_at": "yesterday"}, "invalid_type", "column occurred_at: 'yesterday' is not"),
        (
            {"event_type": "pageview"},
            "unknown_value",
            "column event_type: 'pageview' is not one of",
        ),
    ],
)
def test_web_event_reject_reasons(src, db, override, reason, detail_part):
    rows = events({}, override, {})
    write_csv(src / "web_events.csv", rows)

    summary = load_directory(src, db)

    assert summary["web_events"].rejects_by_reason == {reason: 1}
    assert summary["web_events"].inserted == 2
    (reject,) = rejects(db, "web_events")
    assert reject["table_name"] == "web_events"
    assert reject["source_file"] == "web_events.csv"
    assert reject["row_number"] == 2
    assert reject["reason"] == reason
    assert detail_part in reject["detail"]
    original = json.loads(reject["row_json"])
    expected = {k: (v if v != "" else None) for k, v in rows[1].items()}
    assert original == expected  # the row as the file holds it (blank CSV fields read NULL)
    assert query(db, "SELECT event_id FROM raw.web_events ORDER BY 1") == [("e1",), ("e3",)]


def test_out_of_range_below_and_above(src, db):
    items = [
        valid_row("order_items", order_id="o1", line_number="1", quantity="2"),
        valid_row("order_items", order_id="o1", line_number="2", quantity="-1"),
    ]
    tickets = [
        valid_row("support_tickets", ticket_id="t1", csat="5"),
        valid_row("support_tickets", ticket_id="t2", csat="9"),
    ]
    write_csv(src / "order_items.csv", items)
    write_csv(src / "support_tickets.csv", tickets)

    load_directory(src, db)

    (item,) = rejects(db, "order_items")
    assert (item["source_file"], item["row_number"], item["reason"]) == (
        "order_items.csv",
        2,
        "out_of_range",
    )
    assert "quantity: '-1' is below the minimum 0" in item["detail"]
    assert json.loads(item["row_json"])["quantity"] == "-1"
    (ticket,) = rejects(db, "support_tickets")
    assert (ticket["row_number"], ticket["reason"]) == (2, "out_of_range")
    assert "csat: '9' is above the maximum 5" in ticket["detail"]


def test_duplicate_key_keeps_first_in_file_order(src, db):
    rows = events({}, {}, {})
    rows[2]["event_id"] = "e1"
    rows[2]["page_url"] = "/second-copy"
    write_csv(src / "web_events.csv", rows)

    summary = load_directory(src, db)

    assert summary["web_events"].rejects_by_reason == {"duplicate_key": 1}
    (reject,) = rejects(db, "web_events")
    assert (reject["source_file"], reject["row_number"], reject["reason"]) == (
        "web_events.csv",
        3,
        "duplicate_key",
    )
    assert "web_events.csv row 1" in reject["detail"]
    assert json.loads(reject["row_json"])["page_url"] == "/second-copy"
    assert query(db, "SELECT page_url FROM raw.web_events WHERE event_id = 'e1'") == [
        (rows[0]["page_url"],)
    ]


def test_duplicate_of_a_rejected_row_is_not_a_duplicate(src, db):
    # the first copy is broken, so the second (valid) copy is the one loaded
    rows = events({"occurred_at": "not a time"}, {})
    rows[1]["event_id"] = "e1"
    write_csv(src / "web_events.csv", rows)

    summary = load_directory(src, db)

    assert summary["web_events"].rejects_by_reason == {"invalid_type": 1}
    assert query(db, "SELECT event_id, _source_row FROM raw.web_events") == [("e1", 2)]


def test_first_failing_check_gives_the_reason(src, db):
    # blank key (missing_value) comes before the bad timestamp (invalid_type)
    write_csv(src / "web_events.csv", events({"event_id": "", "occurred_at": "soon"}))
    load_directory(src, db)
    assert [r["reason"] for r in rejects(db, "web_events")] == ["missing_value"]


def test_fractional_integer_is_invalid_but_integral_decimal_is_fine(src, db):
    write_csv(
        src / "order_items.csv",
        [
            valid_row("order_items", order_id="o1", line_number="1", quantity="2.5"),
            valid_row("order_items", order_id="o1", line_number="2", quantity="3.0"),
        ],
    )
    load_directory(src, db)
    assert [(r["row_number"], r["reason"]) for r in rejects(db, "order_items")] == [
        (1, "invalid_type")
    ]
    assert query(db, "SELECT line_number, quantity FROM raw.order_items") == [(2, 3)]


# -- malformed CSV ----------------------------------------------------------------------


def test_malformed_csv_lines_are_rejected_with_line_number_and_text(src, db):
    header = TABLES["web_events"].column_names
    good = [
        ",".join(valid_row("web_events", event_id=f"e{i}")[h] or "" for h in header)
        for i in (1, 2, 3, 4)
    ]
    lines = [
        ",".join(header),  # line 1
        good[0],  # line 2
        good[1] + ",surplus",  # line 3: too many fields
        good[2],  # line 4
        "e9,only,three",  # line 5: too few fields
        good[3],  # line 6
    ]
    (src / "web_events.csv").write_text("\n".join(lines) + "\n")

    summary = load_directory(src, db)

    result = summary["web_events"]
    assert (result.read, result.inserted, result.rejected) == (5, 3, 2)
    assert result.rejects_by_reason == {"malformed_row": 2}
    malformed = rejects(db, "web_events")
    assert [(r["row_number"], r["reason"]) for r in malformed] == [
        (2, "malformed_row"),
        (4, "malformed_row"),
    ]
    assert "line 3" in malformed[0]["detail"]
    assert "line 5" in malformed[1]["detail"]
    assert json.loads(malformed[0]["row_json"]) == {"raw_line": lines[2]}
    assert json.loads(malformed[1]["row_json"]) == {"raw_line": lines[4]}
    # good rows keep their own position, numbered around the malformed lines
    assert query(db, "SELECT event_id, _source_row FROM raw.web_events ORDER BY 2") == [
        ("e1", 1),
        ("e3", 3),
        ("e4", 5),
    ]


def test_broken_quoting_is_malformed_not_fatal(src, db):
    header = ",".join(TABLES["app_events"].column_names)
    (src / "app_events.csv").write_text(
        f"{header}\n"
        "a1,d1,u1,app_open,p1,2024-01-01T00:00:00Z\n"
        'a2,"d2"x,u1,app_open,p1,2024-01-01T00:00:00Z\n'
        "a3,d1,u1,app_open,p1,2024-01-01T00:00:00Z\n"
    )
    summary = load_directory(src, db)
    assert summary["app_events"].rejects_by_reason == {"malformed_row": 1}
    assert summary["app_events"].reconciles()
    (reject,) = rejects(db, "app_events")
    assert reject["row_number"] == 2
    assert query(db, "SELECT event_id, _source_row FROM raw.app_events ORDER BY 2") == [
        ("a1", 1),
        ("a3", 3),
    ]


# -- header contract --------------------------------------------------------------------


def test_missing_required_column_names_file_and_column_and_loads_nothing(src, db):
    write_csv(src / "orders.csv", [valid_row("orders", order_id="o1")])
    rows = [valid_row("web_events", event_id="e1")]
    header = [h for h in rows[0] if h not in ("occurred_at", "utm_medium")]
    write_csv(src / "web_events" / "part-1.csv", rows, header)

    with pytest.raises(ContractError) as err:
        load_directory(src, db)

    message = str(err.value)
    assert str(src / "web_events" / "part-1.csv") in message
    assert "utm_medium" in message and "occurred_at" in message
    assert "Add the column" in message  # says what to do
    # checked before loading anything: the valid orders file was not loaded either
    assert query(
        db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
    ) == [(0,)]


def test_wrong_delimiter_gets_a_hint(src, db):
    header = ";".join(TABLES["products"].column_names)
    (src / "products.csv").write_text(f"{header}\np1;c;n;1.00\n")
    with pytest.raises(ContractError, match="another delimiter"):
        load_directory(src, db)


def test_missing_optional_column_is_fine(src, db):
    row = valid_row("consent_events", event_id="c1")
    header = [h for h in row if h != "purpose"]
    write_csv(src / "consent_events.csv", [row], header)
    summary = load_directory(src, db)
    assert summary["consent_events"].inserted == 1
    assert query(db, "SELECT purpose FROM raw.consent_events") == [(None,)]


def test_extra_columns_are_kept_as_varchar(src, db):
    rows = [valid_row("products", product_id="p1", brand="Acme", Weight_G="120")]
    write_csv(src / "products.csv", rows)

    load_directory(src, db)

    assert query(db, "SELECT brand, weight_g FROM raw.products") == [("Acme", "120")]
    types = dict(
        query(
            db,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'products'",
        )
    )
    assert types["brand"] == "VARCHAR" and types["weight_g"] == "VARCHAR"
    assert types["price"] == "DECIMAL(18,2)"


# -- types and time ---------------------------------------------------------------------


def test_timestamps_are_utc_with_offsets_converted(src, db):
    write_csv(
        src / "email_events.csv",
        [
            valid_row("email_events", event_id="z", occurred_at="2024-03-01T12:00:00Z"),
            valid_row("email_events", event_id="plus2", occurred_at="2024-03-01T12:00:00+02:00"),
            valid_row("email_events", event_id="minus530", occurred_at="2024-03-01 12:00:00-05:30"),
            valid_row("email_events", event_id="naive", occurred_at="2024-03-01 12:00:00"),
            valid_row("email_events", event_id="naive_t", occurred_at="2024-03-01T12:00:00.250"),
        ],
    )
    load_directory(src, db)
    got = dict(query(db, "SELECT event_id, occurred_at FROM raw.email_events"))
    assert got == {
        "z": datetime(2024, 3, 1, 12, 0),
        "plus2": datetime(2024, 3, 1, 10, 0),
        "minus530": datetime(2024, 3, 1, 17, 30),
        "naive": datetime(2024, 3, 1, 12, 0),
        "naive_t": datetime(2024, 3, 1, 12, 0, 0, 250000),
    }
    (col_type,) = query(
        db,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' "
        "AND table_name = 'email_events' AND column_name = 'occurred_at'",
    )
    assert col_type == ("TIMESTAMP",)  # naive, in UTC


def test_values_are_typed_and_kept_as_given(src, db):
    write_csv(
        src / "chat_events.csv",
        [
            valid_row(
                "chat_events",
                event_id="c1",
                event_type=" Prompt_Shown ",
                sentiment="-0.25",
                is_complaint="TRUE",
                email="  Mixed@Case.COM ",
            )
        ],
    )
    load_directory(src, db)
    assert query(db, "SELECT event_type, sentiment, is_complaint, email FROM raw.chat_events") == [
        (" Prompt_Shown ", -0.25, True, "  Mixed@Case.COM ")
    ]


def test_nan_is_no_value_in_numeric_columns(src, db):
    # pandas writes a missing float as 'nan' in CSV and NaN in Parquet
    write_csv(
        src / "chat_events.csv",
        [
            valid_row("chat_events", event_id="c1", sentiment="nan"),
            valid_row("chat_events", event_id="c2", sentiment="inf"),
        ],
    )
    write_parquet(
        src / "order_items.parquet",
        [valid_row("order_items", order_id="o1", unit_price="NaN", quantity="NaN")],
        types={"unit_price": "DOUBLE", "quantity": "DOUBLE"},
    )
    summary = load_directory(src, db)
    assert query(db, "SELECT event_id, sentiment FROM raw.chat_events") == [("c1", None)]
    assert [(r["row_number"], r["reason"]) for r in rejects(db, "chat_events")] == [
        (2, "out_of_range")
    ]
    # quantity is required: NaN there is a missing value
    assert summary["order_items"].rejects_by_reason == {"missing_value": 1}
    assert "column quantity is empty" in rejects(db, "order_items")[0]["detail"]


# -- formats and folders ----------------------------------------------------------------


def test_parquet_with_string_and_native_types(src, db):
    write_parquet(
        src / "orders.parquet",
        [
            valid_row(
                "orders", order_id="o1", order_total="12.5", ordered_at="2024-03-01T12:00:00+01:00"
            ),
            valid_row("orders", order_id="o2", order_total="-3", ordered_at="2024-03-01T12:00:00Z"),
        ],
    )
    write_parquet(
        src / "ad_events.parquet",
        [
            valid_row(
                "ad_events", event_id="a1", cost="0.1234", occurred_at="2024-03-01 12:00:00+00"
            )
        ],
        types={"cost": "DOUBLE", "occurred_at": "TIMESTAMPTZ"},
    )

    summary = load_directory(src, db)

    assert summary["orders"].inserted == 1 and summary["orders"].rejected == 1
    assert query(db, "SELECT order_id, order_total::VARCHAR, ordered_at FROM raw.orders") == [
        ("o1", "12.50", datetime(2024, 3, 1, 11, 0))
    ]
    (reject,) = rejects(db, "orders")
    assert (reject["source_file"], reject["row_number"], reject["reason"]) == (
        "orders.parquet",
        2,
        "out_of_range",
    )
    assert json.loads(reject["row_json"])["order_id"] == "o2"
    assert query(db, "SELECT cost::VARCHAR, occurred_at FROM raw.ad_events") == [
        ("0.1234", datetime(2024, 3, 1, 12, 0))
    ]


def test_folder_of_mixed_files_loads_in_sorted_order(src, db):
    folder = src / "web_events"
    write_parquet(folder / "2024-01-02.parquet", events({}, {})[::-1])  # e2, e1 (dupes)
    # partition folders: order is by relative path, not by bare file name
    write_csv(folder / "2024-01-01" / "part-0.csv.gz", events({})[:1])  # e1
    write_csv(folder / "2024-01-03" / "part-0.csv", [valid_row("web_events", event_id="e3")])
    (folder / "_SUCCESS").write_text("")
    (folder / "notes.txt").write_text("ignored")
    (src / "readme.md").write_text("ignored")

    summary = load_directory(src, db)

    result = summary["web_events"]
    assert result.files == [
        "web_events/2024-01-01/part-0.csv.gz",
        "web_events/2024-01-02.parquet",
        "web_events/2024-01-03/part-0.csv",
    ]
    assert (result.read, result.inserted, result.rejected) == (4, 3, 1)
    assert query(
        db, "SELECT event_id, _source_file, _source_row FROM raw.web_events ORDER BY 1"
    ) == [
        ("e1", "web_events/2024-01-01/part-0.csv.gz", 1),
        ("e2", "web_events/2024-01-02.parquet", 1),
        ("e3", "web_events/2024-01-03/part-0.csv", 1),
    ]
    (dup,) = rejects(db, "web_events")
    assert (dup["source_file"], dup["row_number"], dup["reason"]) == (
        "web_events/2024-01-02.parquet",
        2,
        "duplicate_key",
    )
    assert "web_events/2024-01-01/part-0.csv.gz row 1" in dup["detail"]
    assert summary.skipped == [t for t in TABLES if t != "web_events"]
    # skipped tables exist, empty, so downstream models can run on a partial export
    assert query(db, "SELECT count(*) FROM raw.orders") == [(0,)]


# -- idempotency and updates ------------------------------------------------------------


def test_reloading_the_same_files_changes_nothing(src, db):
    write_csv(src / "web_events.csv", events({}, {"occurred_at": "bad"}, {}))
    write_csv(
        src / "orders.csv",
        [valid_row("orders", order_id="o1"), valid_row("orders", order_id="o2", status="lost")],
    )
    first = load_directory(src, db)
    counts = "SELECT (SELECT count(*) FROM raw.web_events), (SELECT count(*) FROM raw.orders), "
    counts += "(SELECT count(*) FROM raw.rejected_rows)"
    before = query(db, counts)

    second = load_directory(src, db)

    assert query(db, counts) == before == [(2, 1, 2)]
    assert first.total.inserted == 3
    assert second.total.inserted == 0 and second.total.updated == 0
    assert second["web_events"].unchanged == 2 and second["orders"].unchanged == 1
    assert second.total.rejected == 2  # re-rejected, but not stored twice
    assert second.reconciles()
    assert query(db, "SELECT count(DISTINCT load_id), count(*) FROM raw.load_log") == [(2, 4)]


def test_a_new_bad_row_in_an_overwritten_file_is_still_recorded(src, db):
    # the same file name, exported again with different content at the same position
    write_csv(src / "web_events.csv", events({}, {"occurred_at": "bad"}))
    load_directory(src, db)
    write_csv(src / "web_events.csv", events({}, {"occurred_at": "worse"}))
    second = load_directory(src, db)
    assert second["web_events"].rejected == 1
    assert [json.loads(r["row_json"])["occurred_at"] for r in rejects(db, "web_events")] == [
        "bad",
        "worse",
    ]


def test_mutable_table_row_is_replaced_when_re_exported_with_changes(src, db):
    write_csv(
        src / "orders.csv",
        [
            valid_row("orders", order_id="o1", status="completed"),
            valid_row("orders", order_id="o2", status="completed"),
        ],
    )
    load_directory(src, db)
    # the shop re-exports: o1 was refunded, o2 unchanged, o3 is new
    write_csv(
        src / "orders.csv",
        [
            valid_row("orders", order_id="o1", status="refunded"),
            valid_row("orders", order_id="o2", status="completed"),
            valid_row("orders", order_id="o3", status="completed"),
        ],
    )

    summary = load_directory(src, db)

    result = summary["orders"]
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (1, 1, 1, 0)
    rows = query(db, "SELECT order_id, status, _load_id FROM raw.orders ORDER BY 1")
    assert [(r[0], r[1]) for r in rows] == [
        ("o1", "refunded"),
        ("o2", "completed"),
        ("o3", "completed"),
    ]
    assert rows[0][2] == rows[2][2] == summary.load_id  # the replaced row comes from this load
    assert rows[1][2] != summary.load_id


def test_event_table_keeps_the_first_version_of_a_key(src, db):
    write_csv(src / "sms_events.csv", [valid_row("sms_events", event_id="s1", body="first")])
    load_directory(src, db)
    write_csv(src / "sms_events.csv", [valid_row("sms_events", event_id="s1", body="second")])
    summary = load_directory(src, db)
    assert summary["sms_events"].unchanged == 1 and summary["sms_events"].inserted == 0
    assert query(db, "SELECT body FROM raw.sms_events") == [("first",)]


# -- reconciliation, lineage, API -------------------------------------------------------


def test_every_row_read_is_loaded_or_rejected(src, db):
    write_csv(
        src / "push_events.csv",
        [valid_row("push_events", event_id=f"p{i}") for i in range(20)]
        + [
            valid_row("push_events", event_id="p3"),
            valid_row("push_events", event_id="", device_id="d"),
        ]
        + [valid_row("push_events", event_id="px", event_type="exploded")],
    )
    summary = load_directory(src, db)
    result = summary["push_events"]
    loaded = query(db, "SELECT count(*) FROM raw.push_events")[0][0]
    rejected = query(db, "SELECT count(*) FROM raw.rejected_rows")[0][0]
    assert result.read == 23 == loaded + rejected
    assert result.reconciles() and summary.reconciles()
    log = query(
        db, "SELECT rows_read, rows_inserted, rows_rejected, source_files FROM raw.load_log"
    )
    assert log == [(23, 20, 3, ["push_events.csv"])]
    assert query(
        db,
        "SELECT min(_source_row), max(_source_row), count(DISTINCT _loaded_at) "
        "FROM raw.push_events",
    ) == [(1, 20, 1)]


def test_a_count_mismatch_raises_and_rolls_back(src, db, monkeypatch):
    write_csv(src / "web_events.csv", events({}, {}))
    real = load_module._TableLoad._write_valid

    def lose_a_row(self, valid, counts):
        real(self, valid, counts)
        counts.inserted -= 1  # as if one row had vanished between read and write

    monkeypatch.setattr(load_module._TableLoad, "_write_valid", lose_a_row)
    with pytest.raises(ReconciliationError, match="read 2 rows"):
        load_directory(src, db, tables=["web_events"])
    # the table's transaction (schema and table creation included) was rolled back
    assert query(
        db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
    ) == [(0,)]


def test_load_table_on_an_open_connection(src, db):
    write_csv(src / "products.csv", [valid_row("products", product_id="p1")])
    con = duckdb.connect(str(db))
    try:
        result = load_table(con, src, "products")
        missing = load_table(con, src, "orders")
        assert (result.table, result.read, result.inserted) == ("products", 1, 1)
        assert missing.skipped and missing.read == 0
        assert con.execute("SELECT count(*) FROM raw.products").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM raw.load_log").fetchone() == (1,)
    finally:
        con.close()


def test_progress_and_summary_rows(src, db):
    write_csv(src / "products.csv", [valid_row("products", product_id="p1")])
    calls: list[tuple[str, int, int]] = []
    summary = load_directory(
        src, db, tables=["orders", "products"], progress=lambda *a: calls.append(a)
    )
    assert calls == [("orders", 0, 2), ("orders", 1, 2), ("products", 1, 2), ("products", 2, 2)]
    rows = summary.as_rows()
    assert [dict(zip(ROW_COLUMNS, r, strict=True))["table"] for r in rows] == [
        "orders (no files)",
        "products",
        "total",
    ]
    assert rows[1][1:6] == (1, 1, 0, 0, 0)  # read, inserted, updated, unchanged, rejected
    assert summary.tables.get("orders") is None and summary.skipped == ["orders"]
    assert summary.tables["products"].metadata()["inserted"] == 1
    assert (summary.total_loaded, summary.total_rejected) == (1, 0)


def test_summary_counts_rejects_per_table_and_reason(src, db):
    write_csv(src / "products.csv", [valid_row("products", product_id="p1", price="-2")])
    write_csv(src / "web_events.csv", events({"event_type": "?"}, {}))
    summary = load_directory(src, db)
    assert summary.rejects_by_reason() == {
        ("web_events", "unknown_value"): 1,
        ("products", "out_of_range"): 1,
    }
    assert summary.tables["products"].metadata()["rejected.out_of_range"] == 1
    assert (summary.total_loaded, summary.total_rejected) == (1, 2)


def test_unknown_table_is_a_clear_error(src, db):
    with pytest.raises(ValueError, match="unknown raw table"):
        load_directory(src, db, tables=["nope"])


def test_entity_exported_twice_in_one_load_keeps_the_latest_version(src, db):
    # a folder of daily order exports loaded at once ends where loading them day by day
    # would: the later file's status wins; the older version is kept as a reject
    folder = src / "orders"
    folder.mkdir()
    write_csv(folder / "2026-10-01.csv", [valid_row("orders", order_id="o1", status="completed")])
    write_csv(folder / "2026-10-02.csv", [valid_row("orders", order_id="o1", status="refunded")])

    summary = load_directory(src, db)

    assert summary["orders"].rejects_by_reason == {"duplicate_key": 1}
    assert query(db, "SELECT status FROM raw.orders WHERE order_id = 'o1'") == [("refunded",)]
    (reject,) = rejects(db, "orders")
    assert reject["source_file"].endswith("2026-10-01.csv")
    assert "superseded by" in reject["detail"] and "2026-10-02.csv" in reject["detail"]


# -- table selection --------------------------------------------------------------------


def test_table_names_accept_repeats_and_comma_lists():
    from orchestration.contract import parse_tables

    assert parse_tables(None) is None and parse_tables([]) is None
    assert parse_tables(["orders, products", "Orders", " web_events "]) == [
        "orders",
        "products",
        "web_events",
    ]
    assert parse_tables("orders,") == ["orders"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["order"], "unknown raw table 'order' (did you mean 'orders'?)"),
        (["orders,prodcts"], "unknown raw table 'prodcts' (did you mean 'products'?)"),
        (["zzz"], "unknown raw table 'zzz'; the raw tables are: crm_contacts, web_events"),
        ([" , "], "no raw table name given"),
    ],
)
def test_an_unknown_table_names_it_suggests_the_closest_and_lists_all(given, expected):
    from orchestration.contract import UnknownTableError, parse_tables

    with pytest.raises(UnknownTableError) as error:
        parse_tables(given)
    assert expected in str(error.value)
    assert "consent_events" in str(error.value)  # the valid names are listed


def test_a_comma_list_loads_those_tables(src, db):
    write_csv(src / "products.csv", [valid_row("products", product_id="p1")])
    write_csv(src / "orders.csv", [valid_row("orders", order_id="o1")])
    write_csv(src / "web_events.csv", events({}))
    summary = load_directory(src, db, tables=["orders, products"])
    assert [r.table for r in summary.results] == ["orders", "products"]
    assert query(
        db, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", ["web_events"]
    ) == [(0,)]


# -- following up rejected rows ---------------------------------------------------------


def reject_rows(db: Path, table: str) -> list[tuple]:
    return query(
        db,
        "SELECT source_file, source_path, row_number, line_number, reason FROM raw.rejected_rows "
        "WHERE table_name = ? ORDER BY row_number",
        [table],
    )


def test_line_number_is_the_editor_line_and_the_path_is_kept_as_given(tmp_path, db, monkeypatch):
    folder = tmp_path / "data" / "sample"
    write_csv(
        folder / "orders.csv",
        [
            valid_row("orders", order_id="o1"),
            valid_row("orders", order_id="o2", status="lost"),
            valid_row("orders", order_id="o3"),
            valid_row("orders", order_id="o4", order_total="-1"),
        ],
    )
    monkeypatch.chdir(tmp_path)
    summary = load_directory(Path("data/sample"), db)  # a relative path, as a user types it

    rows = reject_rows(db, "orders")
    assert rows == [
        ("orders.csv", "data/sample/orders.csv", 2, 3, "unknown_value"),
        ("orders.csv", "data/sample/orders.csv", 4, 5, "out_of_range"),
    ]
    assert query(db, "SELECT source_files, source_paths FROM raw.load_log") == [
        (["orders.csv"], ["data/sample/orders.csv"])
    ]
    assert [(s.reason, s.row_number, s.line_number) for s in summary["orders"].reject_samples] == [
        ("unknown_value", 2, 3),
        ("out_of_range", 4, 5),
    ]

    # the same folder through its absolute path is a reload: nothing is added
    again = load_directory(folder.resolve(), db)
    assert len(reject_rows(db, "orders")) == 2
    assert again["orders"].rejects_recorded == 0
    assert again["orders"].reject_load_ids == [summary.load_id]  # where they are stored
    assert again["orders"].reject_samples[0].source_path == str(folder.resolve() / "orders.csv")


def test_line_number_counts_multi_line_values_and_blank_lines(src, db):
    header = ",".join(TABLES["app_events"].column_names)
    (src / "app_events.csv").write_text(
        f"{header}\n"  # line 1
        'a1,"d\n1",u1,app_open,p1,2024-01-01T00:00:00Z\n'  # lines 2-3: a quoted line break
        "a2,d2,u1,app_open,p1,2024-01-01T00:00:00Z,surplus\n"  # line 4: malformed
        "\n"  # line 5: blank, skipped
        "a3,d1,u1,boom,p1,2024-01-01T00:00:00Z\n"  # line 6: unknown event type
        "a4,d1,u1,app_open,p1,2024-01-01T00:00:00Z\n"  # line 7
        "a5,d1,u1,app_open,p1,bad\n"  # line 8: invalid timestamp
    )
    summary = load_directory(src, db)
    assert summary["app_events"].reconciles()
    assert [r[2:] for r in reject_rows(db, "app_events")] == [
        (2, 4, "malformed_row"),
        (3, 6, "unknown_value"),
        (5, 8, "invalid_type"),
    ]
    assert query(db, "SELECT event_id, _source_row FROM raw.app_events ORDER BY 2") == [
        ("a1", 1),
        ("a4", 4),
    ]


def test_parquet_rejects_have_no_line_number(src, db):
    write_parquet(src / "orders.parquet", [valid_row("orders", order_id="o1", status="lost")])
    load_directory(src, db)
    assert [r[2:] for r in reject_rows(db, "orders")] == [(1, None, "unknown_value")]


def test_an_older_warehouse_gets_the_new_columns(src, db):
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        """CREATE TABLE raw.rejected_rows (load_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL, row_number BIGINT NOT NULL, reason VARCHAR NOT NULL,
        detail VARCHAR, row_json VARCHAR, rejected_at TIMESTAMP NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE raw.load_log (load_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
        source_files VARCHAR[] NOT NULL, rows_read BIGINT NOT NULL,
        rows_inserted BIGINT NOT NULL, rows_updated BIGINT NOT NULL,
        rows_unchanged BIGINT NOT NULL, rows_rejected BIGINT NOT NULL,
        rejects_by_reason VARCHAR, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, seconds DOUBLE NOT NULL)"""
    )
    con.execute(
        "INSERT INTO raw.rejected_rows VALUES ('old', 'orders', 'orders.csv', 9, "
        "'missing_value', 'column order_id is empty', '{}', now())"
    )
    con.close()
    write_csv(src / "orders.csv", [valid_row("orders", order_id="o1", status="lost")])

    load_directory(src, db)

    assert query(
        db,
        "SELECT load_id, row_number, line_number, source_path FROM raw.rejected_rows ORDER BY 2",
    ) == [(query(db, "SELECT load_id FROM raw.load_log")[0][0], 1, 2, str(src / "orders.csv")),
          ("old", 9, None, None)]  # fmt: skip
    assert query(db, "SELECT source_paths FROM raw.load_log") == [([str(src / "orders.csv")],)]


def test_a_rerun_says_nothing_new(src, db):
    write_csv(src / "web_events.csv", events({}, {"occurred_at": "bad"}, {}))
    first = load_directory(src, db)
    second = load_directory(src, db)
    assert first.outcome() == "2 new, 0 changed, 0 unchanged, 1 rejected"
    assert second.outcome() == "nothing new: 2 unchanged, 1 rejected (already recorded)"
    assert first.total_loaded == second.total_loaded == 2  # what was loaded, not what is new


def test_samples_are_a_few_per_reason(src, db):
    write_csv(
        src / "web_events.csv",
        events(*[{"occurred_at": f"bad{i}"} for i in range(5)], {"event_type": "?"}, {}),
    )
    result = load_directory(src, db)["web_events"]
    assert result.rejected == 6
    assert [(s.reason, s.row_number) for s in result.reject_samples] == [
        ("invalid_type", 1),
        ("invalid_type", 2),
        ("invalid_type", 3),
        ("unknown_value", 6),
    ]
