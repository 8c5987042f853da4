"""Write the checked raw schema out to the configured engine.

Every load is checked in DuckDB (load.py: contract checks, rejects, reload idempotency),
whatever the target. On the `duckdb` target that file *is* the warehouse. On `postgres`
and `spark` it is the working copy the checks run against, and this module then copies
each raw table whose content differs to the target's schema `raw`, where dbt reads it:

- PostgreSQL: the table is exported from DuckDB as CSV and streamed in with psycopg2's
  COPY, after a TRUNCATE, in one transaction: a failed copy leaves the table as it was,
  and readers see the old rows until the commit.
- Spark: DuckDB writes the table as Parquet into a new folder under the session's
  warehouse dir (`<tables>/raw.db/<table>/<load id>`), then one metastore change points
  the external table `raw.<table>` at it (ALTER TABLE ... SET LOCATION). A failed write
  leaves the table on its old folder; old folders are removed after the switch.

A table is written when its fingerprint differs: (row count, latest load id). Loads
replace changed rows with rows of the new load id, so an update moves the fingerprint even
when the count stays the same. A target that missed a copy (it failed, or the database is
new) therefore catches up at the next load, even one that changes nothing in DuckDB.

Most loads only add rows (events are immutable; a daily export brings one more day). When
the target holds exactly DuckDB's rows up to its latest load id (same count up to that
id, same columns), only the rows of later loads are sent: an append, in one transaction
(PostgreSQL) or one new file renamed into the table's folder (Spark). Anything else (a
replaced row, a new column, a target ahead or behind in another way) is a full copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from orchestration import engines

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SCHEMA = "raw"
# the loader's own tables, and the column holding a row's load id in each
BOOKKEEPING = {"rejected_rows": "load_id", "load_log": "load_id", "sample_generation": "load_id"}
DATA_LOAD_ID = "_load_id"

Fingerprint = tuple[int, str | None]


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str  # as duckdb_columns() spells it: VARCHAR, TIMESTAMP, VARCHAR[], ...

    @property
    def is_list(self) -> bool:
        return self.duckdb_type.endswith("[]")


@dataclass
class PublishResult:
    target: str
    copied: dict[str, int] = field(default_factory=dict)  # table -> rows (full copies)
    appended: dict[str, int] = field(default_factory=dict)  # table -> rows added
    unchanged: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        """'copied 3 tables (12,345 rows) in 1.2 s; 12 already up to date'."""
        parts = []
        for verb, tables in (("copied", self.copied), ("appended to", self.appended)):
            if tables:
                n, rows = len(tables), sum(tables.values())
                parts.append(f"{verb} {n} table{'s' if n != 1 else ''} ({rows:,} rows)")
        if parts:
            parts[-1] += f" in {self.seconds:.1f} s"
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already up to date")
        return "; ".join(parts) or "nothing to copy"


class Writer(Protocol):
    name: str

    def fingerprint(self, table: str, load_id_column: str) -> Fingerprint | None: ...

    def column_names(self, table: str) -> list[str]: ...

    def replace(self, con: DuckDBPyConnection, table: str, columns: list[Column]) -> None: ...

    def append(
        self, con: DuckDBPyConnection, table: str, columns: list[Column], where: str
    ) -> None: ...

    def close(self) -> None: ...


def _duckdb_columns(con: DuckDBPyConnection, table: str) -> list[Column]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [SCHEMA, table],
    ).fetchall()
    return [Column(name, type_) for name, type_ in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_fingerprint(con: DuckDBPyConnection, table: str, load_id_column: str) -> Fingerprint:
    count, latest = con.execute(
        f"SELECT count(*), max({_quote(load_id_column)}) FROM {SCHEMA}.{_quote(table)}"
    ).fetchone()
    return int(count), latest


def raw_tables(con: DuckDBPyConnection) -> dict[str, str]:
    """Every table of DuckDB's raw schema -> the column holding its rows' load id."""
    names = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name",
            [SCHEMA],
        ).fetchall()
    ]
    return {name: BOOKKEEPING.get(name, DATA_LOAD_ID) for name in names}


def _newer_rows(
    con: DuckDBPyConnection, table: str, load_id_column: str, theirs: Fingerprint | None
) -> str | None:
    """The WHERE clause selecting the rows the target lacks, when it holds exactly
    DuckDB's rows up to its latest load id; None when only a full copy is right."""
    if theirs is None or theirs[1] is None:
        return None
    count, latest = theirs
    column = _quote(load_id_column)
    (ours,) = con.execute(
        f"SELECT count(*) FROM {SCHEMA}.{_quote(table)} WHERE {column} <= ?", [latest]
    ).fetchone()
    if ours != count:
        return None  # rows were replaced (or the target differs): copy it whole
    return f"{column} > '{latest.replace(chr(39), chr(39) * 2)}'"


def open_writer(target: str | None = None) -> Writer | None:
    """The writer for the target (None on duckdb). Opened before a load starts, so an
    unreachable server stops the load before anything is written."""
    name = engines.target(target)
    if name == "duckdb":
        return None
    return PostgresWriter() if name == "postgres" else SparkWriter()


def publish(
    con: DuckDBPyConnection,
    writer: Writer,
    tables: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> PublishResult:
    """Copy every raw table (or those named, plus the loader's bookkeeping) whose fingerprint
    differs from DuckDB's to the writer's engine."""
    started = time.perf_counter()
    result = PublishResult(writer.name)
    available = raw_tables(con)
    wanted = available if tables is None else {*tables, *BOOKKEEPING}
    for table, load_id_column in available.items():
        if table not in wanted:
            continue
        ours = _duckdb_fingerprint(con, table, load_id_column)
        theirs = writer.fingerprint(table, load_id_column)
        if theirs == ours:
            result.unchanged.append(table)
            continue
        if progress:
            progress(table)
        columns = _duckdb_columns(con, table)
        newer = _newer_rows(con, table, load_id_column, theirs)
        if newer is not None and writer.column_names(table) == [c.name for c in columns]:
            writer.append(con, table, columns, newer)
            result.appended[table] = ours[0] - theirs[0]
        else:
            writer.replace(con, table, columns)
            result.copied[table] = ours[0]
    result.seconds = time.perf_counter() - started
    return result


# ---------------------------------------------------------------------------------------
# PostgreSQL

_PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DATE": "date",
    "HUGEINT": "numeric(38, 0)",
}


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB one (lists become arrays)."""
    if duckdb_type.endswith("[]"):
        return postgres_type(duckdb_type[:-2]) + "[]"
    if duckdb_type.startswith("DECIMAL"):
        return "numeric" + duckdb_type[len("DECIMAL") :]
    try:
        return _PG_TYPES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for DuckDB type {duckdb_type}") from None


# COPY's NULL marker: never produced by the loader (values are trimmed text), and quoted
# values never match it, so an empty string stays an empty string
_PG_NULL = r"\N"


def _pg_select(column: Column) -> str:
    """The DuckDB expression that writes `column` as PostgreSQL's COPY reads it: an array
    as its literal {"a","b"} (elements quoted, so commas and quotes in paths survive)."""
    name = _quote(column.name)
    if not column.is_list:
        return name
    element = "'\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"') || '\"'"  # "a\"b"
    return (
        f"CASE WHEN {name} IS NULL THEN NULL ELSE "
        f"'{{' || array_to_string(list_transform({name}, lambda x: {element}), ',') || '}}' END "
        f"AS {name}"
    )


class PostgresWriter:
    name = "postgres"

    def __init__(self) -> None:
        from orchestration.engines import postgres

        self.con = postgres.connect()
        with self.con, self.con.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")

    def _columns(self, table: str) -> dict[str, str]:
        with self.con.cursor() as cur:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                (SCHEMA, table),
            )
            return dict(cur.fetchall())

    def fingerprint(self, table: str, load_id_column: str) -> Fingerprint | None:
        if not self._columns(table):
            self.con.rollback()
            return None
        with self.con.cursor() as cur:
            cur.execute(
                f"SELECT count(*), max({_quote(load_id_column)}) FROM {SCHEMA}.{_quote(table)}"
            )
            count, latest = cur.fetchone()
        self.con.rollback()  # read-only: end the transaction psycopg2 opened
        return int(count), latest

    def column_names(self, table: str) -> list[str]:
        with self.con.cursor() as cur:
            cur.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (SCHEMA, table),
            )
            names = [name for (name,) in cur.fetchall()]
        self.con.rollback()
        return names

    def replace(self, con: DuckDBPyConnection, table: str, columns: list[Column]) -> None:
        self._write(con, table, columns, where=None)

    def append(
        self, con: DuckDBPyConnection, table: str, columns: list[Column], where: str
    ) -> None:
        self._write(con, table, columns, where=where)

    def _write(
        self, con: DuckDBPyConnection, table: str, columns: list[Column], where: str | None
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="chorus-pg-") as tmp:
            path = Path(tmp) / f"{table}.csv"
            select = ", ".join(_pg_select(c) for c in columns)
            con.execute(
                f"COPY (SELECT {select} FROM {SCHEMA}.{_quote(table)}"
                f"{f' WHERE {where}' if where else ''}) TO '{path}' "
                f"(FORMAT csv, HEADER false, NULLSTR '{_PG_NULL}')"
            )
            qualified = f"{SCHEMA}.{_quote(table)}"
            names = ", ".join(_quote(c.name) for c in columns)
            # one transaction: create or widen the table, empty it (unless appending),
            # copy; all or nothing
            with self.con, self.con.cursor() as cur:
                existing = self._columns(table)
                if not existing:
                    ddl = ", ".join(
                        f"{_quote(c.name)} {postgres_type(c.duckdb_type)}" for c in columns
                    )
                    cur.execute(f"CREATE TABLE {qualified} ({ddl})")
                for c in columns:
                    if existing and c.name not in existing:
                        cur.execute(
                            f"ALTER TABLE {qualified} ADD COLUMN {_quote(c.name)} "
                            f"{postgres_type(c.duckdb_type)}"
                        )
                if where is None:
                    cur.execute(f"TRUNCATE {qualified}")
                with path.open("rb") as data:
                    cur.copy_expert(
                        f"COPY {qualified} ({names}) FROM STDIN "
                        f"WITH (FORMAT csv, NULL '{_PG_NULL}')",
                        data,
                        size=1 << 20,
                    )

    def close(self) -> None:
        self.con.close()


# ---------------------------------------------------------------------------------------
# Spark


def _spark_select(column: Column) -> str:
    """Naive UTC timestamps are written as instants (TIMESTAMPTZ, in the UTC session), so
    Spark reads its ordinary TIMESTAMP type with the same values; a plain DuckDB
    TIMESTAMP would come back as Spark's TIMESTAMP_NTZ."""
    name = _quote(column.name)
    if column.duckdb_type == "TIMESTAMP":
        return f"{name}::TIMESTAMPTZ AS {name}"
    return name


class SparkWriter:
    name = "spark"

    def __init__(self) -> None:
        from orchestration.engines import spark

        self.spark = spark.session()
        self.root = spark.tables_dir() / f"{SCHEMA}.db"
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {SCHEMA}")

    def _exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(f"{SCHEMA}.{table}"))

    def fingerprint(self, table: str, load_id_column: str) -> Fingerprint | None:
        if not self._exists(table):
            return None
        row = self.spark.sql(
            f"SELECT count(*) AS n, max(`{load_id_column}`) AS latest FROM {SCHEMA}.`{table}`"
        ).collect()[0]
        return int(row["n"]), row["latest"]

    def _schema(self, table: str) -> list[tuple[str, str]]:
        return [
            (f.name, f.dataType.simpleString())
            for f in self.spark.table(f"{SCHEMA}.`{table}`").schema.fields
        ]

    def column_names(self, table: str) -> list[str]:
        return [name for name, _ in self._schema(table)] if self._exists(table) else []

    def _location(self, table: str) -> Path:
        rows = self.spark.sql(f"DESCRIBE TABLE EXTENDED {SCHEMA}.`{table}`").collect()
        location = next(r["data_type"] for r in rows if r["col_name"] == "Location")
        return Path(location.removeprefix("file:"))

    def append(
        self, con: DuckDBPyConnection, table: str, columns: list[Column], where: str
    ) -> None:
        """One more file in the table's folder: written under a name Spark ignores (a
        leading dot), then renamed, so a reader sees the whole file or none of it."""
        folder = self._location(table)
        name = f"part-{time.time_ns()}.parquet"
        partial = folder / f".{name}.partial"
        select = ", ".join(_spark_select(c) for c in columns)
        try:
            con.execute(
                f"COPY (SELECT {select} FROM {SCHEMA}.{_quote(table)} WHERE {where}) "
                f"TO '{partial}' (FORMAT parquet, COMPRESSION zstd)"
            )
            os.replace(partial, folder / name)
        finally:
            partial.unlink(missing_ok=True)
        self.spark.sql(f"REFRESH TABLE {SCHEMA}.`{table}`")

    def replace(self, con: DuckDBPyConnection, table: str, columns: list[Column]) -> None:
        folder = self.root / table
        version = folder / f"v{time.time_ns()}"
        version.mkdir(parents=True)
        select = ", ".join(_spark_select(c) for c in columns)
        try:
            con.execute(
                f"COPY (SELECT {select} FROM {SCHEMA}.{_quote(table)}) "
                f"TO '{version / 'part-0.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
            )
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
        qualified = f"{SCHEMA}.`{table}`"
        location = str(version).replace("'", "\\'")
        new_schema = self.spark.read.parquet(str(version)).schema
        if self._exists(table) and self._schema(table) == [
            (f.name, f.dataType.simpleString()) for f in new_schema.fields
        ]:
            # one metastore update: readers see the old files or the new, never a mix
            self.spark.sql(f"ALTER TABLE {qualified} SET LOCATION '{location}'")
        else:  # first load, or the loader's tables gained a column
            self.spark.sql(f"DROP TABLE IF EXISTS {qualified}")
            self.spark.sql(f"CREATE TABLE {qualified} USING parquet LOCATION '{location}'")
        self.spark.sql(f"REFRESH TABLE {qualified}")
        for old in folder.iterdir():
            if old != version and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        """The session stays up: dbt-spark's session method reuses it in this process."""
