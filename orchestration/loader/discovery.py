"""Find the input files of each raw table in a source directory and read their headers,
so the whole directory is checked against the contract before anything is loaded."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from orchestration.contract import TABLES, Table
from orchestration.loader.errors import ContractError

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

Format = Literal["csv", "parquet"]

# Lineage columns the loader adds to every raw table; an input column with one of these
# names would be silently overwritten, so it is a contract error instead.
LINEAGE_COLUMNS = ("_source_file", "_source_row", "_loaded_at", "_load_id")


@dataclass(frozen=True)
class SourceColumn:
    name: str  # normalized (trimmed, lower case): the raw table's column name
    source: str  # as spelled in the file: what the reader's SQL refers to
    type: str  # DuckDB type as read; always VARCHAR for CSV (read all_varchar)


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path
    relpath: str  # relative to the source dir, POSIX separators: the lineage value
    format: Format
    columns: tuple[SourceColumn, ...]

    def column(self, name: str) -> SourceColumn | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def extra_columns(self, table: Table) -> list[SourceColumn]:
        known = set(table.column_names)
        return [c for c in self.columns if c.name not in known]


def file_format(path: Path) -> Format | None:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _hidden(rel: Path) -> bool:
    # Spark/Hadoop leave _SUCCESS, _temporary/ and .crc files next to their output.
    return any(part.startswith((".", "_")) for part in rel.parts)


def discover(source_dir: Path, tables: Iterable[str]) -> dict[str, list[Path]]:
    """Input files per table, in load order (sorted by relative path, so the order, and
    with it `_source_row` numbering and duplicate resolution, is deterministic).

    A table's files are DIR/<table>.csv[.gz] and DIR/<table>.parquet plus every
    *.csv, *.csv.gz and *.parquet under the folder DIR/<table>/ (recursively, so
    Hive-style partition folders work). Anything else in DIR is ignored."""
    found: dict[str, list[Path]] = {}
    for table in tables:
        paths = [
            p
            for p in source_dir.glob(f"{table}.*")
            if p.is_file()
            and p.name.lower() in {f"{table}.csv", f"{table}.csv.gz", f"{table}.parquet"}
        ]
        folder = source_dir / table
        if folder.is_dir():
            paths += [
                p
                for p in folder.rglob("*")
                if p.is_file() and file_format(p) and not _hidden(p.relative_to(folder))
            ]
        found[table] = sorted(paths, key=lambda p: p.relative_to(source_dir).as_posix())
    return found


def _csv_header(path: Path) -> list[str]:
    # Only the header line is read here (by Python's csv module, which handles quoted
    # names); rows are read by DuckDB. utf-8-sig drops a BOM that Excel likes to add.
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        return next(csv.reader(text), [])


def _parquet_schema(con: DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
        [str(path)],
    ).fetchall()
    return [(str(name), str(type_)) for name, type_ in rows]


def inspect_file(con: DuckDBPyConnection, source_dir: Path, table: str, path: Path) -> SourceFile:
    """Read one file's header (CSV) or schema (Parquet metadata only, no data)."""
    fmt = file_format(path)
    assert fmt is not None, path
    try:
        if fmt == "csv":
            header = [(name, "VARCHAR") for name in _csv_header(path)]
        else:
            header = _parquet_schema(con, path)
    except Exception as exc:  # unreadable/corrupt file: say which one and why
        raise ContractError(
            f"{path}: cannot read the {fmt} header ({exc}). Check that the file is a valid "
            f"{fmt} file (not truncated, right extension) or remove it from the directory."
        ) from exc
    columns = tuple(SourceColumn(name.strip().lower(), name, t) for name, t in header)
    return SourceFile(table, path, path.relative_to(source_dir).as_posix(), fmt, columns)


def header_problems(table: Table, source: SourceFile) -> list[str]:
    """What makes this file unloadable as a whole; empty when the header is fine."""
    problems: list[str] = []
    names = [c.name for c in source.columns]
    if not names:
        return [f"{source.path}: the file is empty (no header line). Export it with a header row."]
    missing = [c for c in table.required_columns if c not in names]
    if missing:
        hint = ""
        if source.format == "csv" and len(names) == 1 and any(d in names[0] for d in ";\t|"):
            hint = " The header looks like it uses another delimiter: export comma-separated."
        problems.append(
            f"{source.path}: missing required column(s) {', '.join(missing)} for raw table "
            f"{table.name}. Add the column(s) to the file's header (an empty column is fine "
            f"where values are optional) or rename the column that holds them; required "
            f"columns are: {', '.join(table.required_columns)}.{hint}"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(
            f"{source.path}: column(s) {', '.join(repr(d) for d in dupes)} appear more than "
            f"once (names are compared trimmed and case-insensitively). Rename or drop the "
            f"duplicates."
        )
    if "" in names:
        problems.append(
            f"{source.path}: a column has an empty name (often a trailing delimiter in the "
            f"header). Name the column or remove it."
        )
    reserved = [n for n in names if n in LINEAGE_COLUMNS]
    if reserved:
        problems.append(
            f"{source.path}: column(s) {', '.join(reserved)} are reserved for the loader's "
            f"lineage columns. Rename them in the file."
        )
    return problems


def inspect_all(
    con: DuckDBPyConnection, source_dir: Path, files: dict[str, list[Path]]
) -> dict[str, list[SourceFile]]:
    """Inspect every file of every table and raise one ContractError listing all problems,
    so a user fixes the whole directory in one go instead of one file per run."""
    inspected: dict[str, list[SourceFile]] = {}
    problems: list[str] = []
    for table, paths in files.items():
        inspected[table] = []
        for path in paths:
            try:
                source = inspect_file(con, source_dir, table, path)
            except ContractError as exc:
                problems.append(str(exc))
                continue
            problems += header_problems(TABLES[table], source)
            inspected[table].append(source)
    if problems:
        raise ContractError(
            "The input files break the raw input contract; nothing was loaded.\n- "
            + "\n- ".join(problems)
        )
    return inspected
