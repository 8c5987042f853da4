"""`chorus sql "select ..."`: a query against the warehouse with the project's own install
(no DuckDB CLI needed). Read-only: it opens the warehouse read-only, or its published
snapshot while another process writes it, so it never blocks or breaks a build."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from orchestration import engines, warehouse
from orchestration.commands.common import DbPath, Target, console, fail, open_reader, plain

FORMATS = ("table", "csv", "json")


def sql(
    query: Annotated[
        str,
        typer.Argument(
            help='The SQL, e.g. "select lifecycle_stage, count(*) from marts.customers '
            'group by 1". Use - to read it from standard input.'
        ),
    ],
    max_rows: Annotated[
        int, typer.Option(help="Rows to print as a table (csv and json print all).", min=1)
    ] = 50,
    format_: Annotated[
        str, typer.Option("--format", help="table, csv or json (csv/json: all rows).")
    ] = "table",
    snapshot: Annotated[
        bool,
        typer.Option(
            "--snapshot/--live",
            help="Read the published snapshot even when the warehouse is free "
            "(default: the warehouse, or the snapshot while a writer holds it).",
        ),
    ] = False,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Query the warehouse (read-only).

    Runs one SQL query and prints the result. Tables:
    marts.* (the public marts), raw.* (loaded data, raw.rejected_rows), staging.*,
    seeds.*; `show all tables` lists them."""
    import duckdb

    if format_ not in FORMATS:
        raise fail(f"--format {format_!r} is not supported", "use table, csv or json", 2)
    text = sys.stdin.read() if query == "-" else query
    if not text.strip():
        raise fail("the query is empty", 'pass one, e.g. chorus sql "show all tables"', 2)
    if engines.target() != "duckdb":
        _native(text, format_, max_rows)
        return
    if snapshot:
        copy = warehouse.snapshot_path(db)
        if not copy.exists():
            raise fail(
                f"no snapshot at {copy}",
                "one is published after each successful `chorus load` and `chorus build`",
            )
        con = open_reader(copy, snapshot=False)
    else:
        con = open_reader(db)
    try:
        try:
            cursor = con.execute(text)
            if format_ == "table":
                _print_table(cursor, max_rows)
            else:
                _print_all(cursor, format_)
        except duckdb.Error as exc:
            raise fail(warehouse.first_line(exc), _hint(exc), 2) from None
    finally:
        con.close()


class _Rows:
    """A fetched result with the cursor interface the printers use (DB-API style
    description and fetchmany), for the postgres and spark targets."""

    def __init__(self, columns: list[str], rows: list[tuple]) -> None:
        numeric = [
            all(isinstance(r[i], int | float) for r in rows if r[i] is not None)
            and any(r[i] is not None for r in rows)
            for i in range(len(columns))
        ]
        self.description = [
            (c, "DOUBLE" if n else "VARCHAR") for c, n in zip(columns, numeric, strict=True)
        ]
        self._rows, self._at = rows, 0

    def fetchmany(self, n: int) -> list[tuple]:
        out = self._rows[self._at : self._at + n]
        self._at += len(out)
        return out


def _native(text: str, format_: str, max_rows: int) -> None:
    """The query in the postgres or spark target's own SQL, read-only."""
    from orchestration.engines.reader import Native

    native = Native()
    try:
        rows = _Rows(*native.query(text))
    finally:
        native.close()
    if format_ == "table":
        _print_table(rows, max_rows)
    else:
        _print_all(rows, format_)


def _print_table(cursor, max_rows: int) -> None:
    rows = cursor.fetchmany(max_rows + 1)
    table = Table(show_lines=False)
    for name, kind, *_ in cursor.description:
        numeric = str(kind).upper().split("(")[0] in _NUMERIC
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in rows[:max_rows]:
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    if len(rows) > max_rows:
        plain(
            f"first {max_rows} rows shown; add a limit, raise --max-rows, or use "
            "--format csv for all of them"
        )
    else:
        plain(f"{len(rows):,} row{'s' if len(rows) != 1 else ''}")


_NUMERIC = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
}  # fmt: skip


def _print_all(cursor, format_: str) -> None:
    import csv
    import json

    columns = [d[0] for d in cursor.description]
    out = sys.stdout
    if format_ == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        while batch := cursor.fetchmany(10_000):
            writer.writerows(batch)
    else:
        out.write("[")
        first = True
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                record = json.dumps(dict(zip(columns, row, strict=True)), default=str)
                out.write(("\n " if first else ",\n ") + record)
                first = False
        out.write("\n]\n")
    out.flush()


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _hint(exc: Exception) -> str:
    text = str(exc)
    if "read-only" in text or "read only" in text:
        return (
            "chorus sql only reads; change data through `chorus load` and models "
            "through dbt (`chorus build`)"
        )
    if "does not exist" in text or "not found" in text.lower():
        return 'list the tables with `chorus sql "show all tables"` (marts.*, raw.*, ...)'
    return "fix the query and run it again (DuckDB SQL)"
