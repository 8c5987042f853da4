"""Loader benchmark: write synthetic Parquet exports for every raw table (string
timestamps with mixed offsets, a sprinkle of bad rows and duplicate keys), then time a
first load and an idempotent reload.

    uv run --frozen python -m orchestration.loader.bench --rows 5000000 --work /tmp/bench

Rows are split across tables roughly like a real marketing stack (half web events); 50M
rows is about the 1M-customer case. Columns are generated from orchestration.contract,
so the benchmark follows contract changes."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from orchestration.contract import BOOLEAN, DOUBLE, INTEGER, STRING, TABLES, TIMESTAMP, Table

# Share of the total rows per table (products are a fixed catalogue).
SHARES = {
    "web_events": 0.50,
    "email_events": 0.16,
    "app_events": 0.08,
    "ad_events": 0.08,
    "push_events": 0.04,
    "order_items": 0.04,
    "sms_events": 0.03,
    "crm_contacts": 0.02,
    "orders": 0.02,
    "chat_events": 0.015,
    "consent_events": 0.01,
    "support_tickets": 0.005,
}
PRODUCTS = 5000
BAD_EVERY = 100_003  # one row in ~100k has an unparseable timestamp
DUP_EVERY = 250_007  # one row in ~250k repeats the previous row's key


def _value(table: Table, name: str) -> str:
    """SQL for one column of row i, as VARCHAR (exports with string values)."""
    col = table.column(name)
    if name in table.key:
        if table.name == "order_items":
            return "'o' || (i // 3)" if name == "order_id" else "CAST(i % 3 + 1 AS VARCHAR)"
        key = f"i - CASE WHEN i % {DUP_EVERY} = 1 THEN 1 ELSE 0 END"
        return f"'{table.name[:3]}_' || ({key})"
    if col.enum:
        values = ", ".join(f"'{v}'" for v in col.enum)
        return f"([{values}])[1 + i % {len(col.enum)}]"
    if col.type == TIMESTAMP:
        ts = "TIMESTAMP '2024-01-01' + to_seconds(i * 7 % 31536000)"
        return (
            f"CASE WHEN i % {BAD_EVERY} = 5 THEN 'not-a-time' "
            f"WHEN i % 3 = 0 THEN strftime({ts}, '%Y-%m-%dT%H:%M:%SZ') "
            f"WHEN i % 3 = 1 THEN strftime({ts}, '%Y-%m-%dT%H:%M:%S+02:00') "
            f"ELSE strftime({ts}, '%Y-%m-%d %H:%M:%S') END"
        )
    if col.type == INTEGER:
        return "CAST(i % 5 + 1 AS VARCHAR)"
    if col.type == BOOLEAN:
        return "CASE WHEN i % 7 = 0 THEN 'true' ELSE 'false' END"
    if col.type == DOUBLE:
        return "CAST(round((i % 200) / 100.0 - 1, 2) AS VARCHAR)"
    if col.type != STRING:  # money and cost
        return "CAST((i % 10000) / 100.0 AS VARCHAR)"
    if name in ("email", "email_sha256"):
        return "CASE WHEN i % 4 = 0 THEN NULL ELSE ' User' || (i % 1000000) || '@Example.com' END"
    if name == "phone":
        number = "lpad(CAST(i % 1000000 AS VARCHAR), 7, '0')"
        return f"CASE WHEN i % 3 = 0 THEN NULL ELSE '+49 151 ' || {number} END"
    if name in ("page_url", "url"):
        return f"'https://shop.example.com/p/' || (i % {PRODUCTS})"
    if name == "product_id":
        return f"'pro_' || (i % {PRODUCTS})"
    return f"'{name}_' || (i % 100003)"


def generate(work: Path, total_rows: int) -> Path:
    """Write DIR/<table>.parquet for every table; returns DIR."""
    import duckdb

    source = work / "exports"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    con = duckdb.connect()
    for table in TABLES.values():
        n = PRODUCTS if table.name == "products" else int(total_rows * SHARES[table.name])
        select = ", ".join(f"{_value(table, c)} AS {c}" for c in table.column_names)
        con.execute(
            f"COPY (SELECT {select} FROM range({n}) t(i)) "
            f"TO '{source / (table.name + '.parquet')}' (FORMAT parquet)"
        )
    con.close()
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="total rows, all tables")
    parser.add_argument("--work", type=Path, default=Path("/tmp/chorus-loader-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep existing exports")
    args = parser.parse_args()

    from orchestration.loader import ROW_COLUMNS, load_directory

    args.work.mkdir(parents=True, exist_ok=True)
    source = args.work / "exports"
    if not (args.reuse and source.is_dir()):
        start = time.perf_counter()
        generate(args.work, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f}s")
    db = args.work / "bench.duckdb"
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    for label in ("first load", "reload"):
        summary = load_directory(source, db)
        print(
            f"\n{label}: {summary.total.read:,} rows in {summary.seconds:.1f}s "
            f"= {summary.rows_per_second:,.0f} rows/s; reconciles={summary.reconciles()}"
        )
        for row in summary.as_rows():
            print("  " + "  ".join(f"{k}={v}" for k, v in zip(ROW_COLUMNS, row, strict=True)))
        print("  rejects: " + str(summary.total.rejects_by_reason))
    print(f"\nwarehouse file: {db.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
