"""Load raw input files into schema `raw`: typed, validated, deduplicated, idempotent,
with every rejected row in raw.rejected_rows and every load in raw.load_log.

How one table is loaded (all set-based SQL in DuckDB, one transaction per table):
1. CSV files are parsed once into a temp table (all VARCHAR; DuckDB's rejects tables
   capture structurally malformed lines); Parquet files are read in place.
2. Check pass: only key and checked columns are read; the first failing contract check
   (or a repeated key) gives the row's reject code. Only exceptions are kept (small).
3. Rejects are written with their original row as JSON, the file's path as given and,
   for CSV, the line an editor shows (lines.py); a few per reason are kept on the
   result for the CLI to show (only when there are any).
4. One INSERT ... SELECT per table writes the valid rows, casting each value once. The
   existing-key join (skip for event tables, replace-if-changed for mutable tables) only
   runs when the target table already has rows.
5. Counts are reconciled (read == inserted + updated + unchanged + rejected) and logged.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.contract import REJECT_REASONS, TABLES, Table, parse_table, parse_tables
from orchestration.loader.discovery import SourceFile, discover, inspect_all
from orchestration.loader.errors import ReconciliationError
from orchestration.loader.lines import CsvLines, csv_lines
from orchestration.loader.publish import open_writer, publish
from orchestration.loader.sample import check_sample, read_generation
from orchestration.loader.sql import (
    FileSQL,
    checks,
    duplicate_code,
    ident,
    lit,
    reason_case,
    ts_lit,
)
from orchestration.loader.summary import (
    SAMPLES_PER_REASON,
    LoadSummary,
    RejectSample,
    TableLoadResult,
)

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SCHEMA = "raw"
# A row's position across a table's files as one sortable BIGINT: file index in the high
# bits, 1-based row in the low 40 bits (10^12 rows per file is plenty).
ROW_BITS = 1 << 40
# Up to this many rejects per Parquet file are fetched by row number (see _parquet_base).
PUSHDOWN_ROWS = 10_000

RAW_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.rejected_rows (
        load_id VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,  -- relative to the load's source directory
        row_number BIGINT NOT NULL,    -- 1-based data row (header excluded), as _source_row
        reason VARCHAR NOT NULL,       -- one of contract.REJECT_REASONS
        detail VARCHAR,
        row_json VARCHAR,              -- the original row as JSON text
        rejected_at TIMESTAMP NOT NULL,
        line_number BIGINT,            -- CSV: the line an editor shows (header = line 1)
        source_path VARCHAR            -- the file's path as given to the loader
    )""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.load_log (
        load_id VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        source_files VARCHAR[] NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_inserted BIGINT NOT NULL,
        rows_updated BIGINT NOT NULL,
        rows_unchanged BIGINT NOT NULL,
        rows_rejected BIGINT NOT NULL,
        rejects_by_reason VARCHAR,     -- JSON object: reason -> count
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        seconds DOUBLE NOT NULL,
        source_paths VARCHAR[]         -- source_files as given to the loader
    )""",
)
# Columns added to the loader's own tables after their first release: a warehouse
# created before gets them (NULL in older rows) instead of failing on insert.
RAW_MIGRATIONS = {
    "rejected_rows": (("line_number", "BIGINT"), ("source_path", "VARCHAR")),
    "load_log": (("source_paths", "VARCHAR[]"),),
}

Progress = Callable[[str, int, int], None]


def _parquet_base(source: SourceFile, rows: list[int] | None = None) -> str:
    """A Parquet file with its 1-based `_source_row`. With `rows`, only those rows: a
    literal IN list on file_row_number is pushed into the scan (a join is not), so
    fetching a few rejected rows does not decode the whole file again."""
    where = ""
    if rows is not None:
        where = f" WHERE file_row_number IN ({', '.join(str(r - 1) for r in rows)})"
    return (
        f"(SELECT file_row_number + 1 AS _source_row, * EXCLUDE (file_row_number) "
        f"FROM read_parquet({lit(str(source.path))}, file_row_number = true){where})"
    )


def new_load_id() -> str:
    """Sortable by time (so `ORDER BY load_id` is load order) and unique."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _columns(con: DuckDBPyConnection, table: str) -> set[str]:
    return {
        name.lower()
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [SCHEMA, table],
        ).fetchall()
    }


def ensure_raw_schema(con: DuckDBPyConnection) -> None:
    """Create schema raw with rejected_rows and load_log, or bring an older warehouse's
    up to date (idempotent)."""
    for statement in RAW_DDL:
        con.execute(statement)
    for table, columns in RAW_MIGRATIONS.items():
        existing = _columns(con, table)
        for name, type_ in columns:
            if name not in existing:
                con.execute(f"ALTER TABLE {SCHEMA}.{table} ADD COLUMN {name} {type_}")


def _ensure_table(con: DuckDBPyConnection, table: Table, extras: list[str]) -> None:
    columns = [f"{ident(c.name)} {c.type}" for c in table.columns] + [
        "_source_file VARCHAR NOT NULL",
        "_source_row BIGINT NOT NULL",
        "_loaded_at TIMESTAMP NOT NULL",
        "_load_id VARCHAR NOT NULL",
    ]
    con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table.name} ({', '.join(columns)})")
    existing = _columns(con, table.name)
    # Columns appear over time (a new contract column, an extra column in a new export):
    # add them instead of failing; older rows read NULL.
    for c in table.columns:
        if c.name not in existing:
            con.execute(f"ALTER TABLE {SCHEMA}.{table.name} ADD COLUMN {ident(c.name)} {c.type}")
    for name in extras:
        if name.lower() not in existing:
            con.execute(f"ALTER TABLE {SCHEMA}.{table.name} ADD COLUMN {ident(name)} VARCHAR")


@dataclass
class _Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class _TableLoad:
    """One table's load inside one transaction; temp tables are named per table so a
    connection can load tables one after another."""

    def __init__(
        self,
        con: DuckDBPyConnection,
        table: Table,
        sources: list[SourceFile],
        load_id: str,
        loaded_at: datetime,
    ) -> None:
        self.con = con
        self.table = table
        self.sources = sources
        self.load_id = load_id
        self.loaded_at = loaded_at
        self.target = f"{SCHEMA}.{table.name}"
        self.temps: list[str] = []
        self.extras: list[str] = []
        self.records: dict[int, int] = {}  # CSV file index -> records read (valid + malformed)
        self.lines: dict[int, CsvLines | None] = {}  # CSV file index -> row/line map
        for source in sources:
            for col in source.extra_columns(table):
                if col.name not in self.extras:
                    self.extras.append(col.name)

    def _temp(self, suffix: str) -> str:
        name = f"_chorus_load_{self.table.name}_{suffix}"
        self.temps.append(name)
        return name

    def _scalar(self, sql: str) -> int:
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- 1. sources ---------------------------------------------------------------------

    def _stage_csv(self, index: int, source: SourceFile, malformed: str) -> str:
        """Parse one CSV file into a temp table; returns the base relation over it."""
        staged, rejects, scans = (
            self._temp(f"csv{index}"),
            self._temp(f"rej{index}"),
            self._temp(f"scan{index}"),
        )
        columns = ", ".join(f"{lit(c.source)}: 'VARCHAR'" for c in source.columns)
        # row_number() OVER () numbers rows in file order (DuckDB preserves insertion
        # order); rowid cannot be used: inside a transaction it starts at a large offset.
        # The dialect is pinned (RFC 4180) instead of sniffed: sniffing a file that holds
        # broken lines can guess a wrong dialect and turn every row into an error.
        self.con.execute(f"DROP TABLE IF EXISTS temp.{rejects}")
        self.con.execute(f"DROP TABLE IF EXISTS temp.{scans}")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {staged} AS
            SELECT row_number() OVER () AS _chorus_ord, * FROM read_csv({lit(str(source.path))},
                header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                columns = {{{columns}}}, store_rejects = true,
                rejects_table = {lit(rejects)}, rejects_scan = {lit(scans)})"""
        )
        # DuckDB reports a malformed record by its record number (header = 1, see
        # lines.py); it can report one several times (one per problem), so keep the first
        # error per record. Row and line are fixed below where a record is not one line.
        self.con.execute(
            f"""INSERT INTO {malformed} (file_index, source_file, source_path, row_number,
                line, error_type, error_message, csv_line)
            SELECT {index}, {lit(source.relpath)}, {lit(str(source.path))}, line - 1, line,
                   arg_min(error_type::VARCHAR, column_idx), arg_min(error_message, column_idx),
                   arg_min(csv_line, column_idx)
            FROM {rejects} GROUP BY line"""
        )
        n_malformed = self._scalar(f"SELECT count(*) FROM {malformed} WHERE file_index = {index}")
        self.records[index] = n_malformed + self._scalar(f"SELECT count(*) FROM {staged}")
        if not n_malformed:
            return f"(SELECT _chorus_ord AS _source_row, * EXCLUDE (_chorus_ord) FROM {staged})"
        self._place_malformed(index, source, malformed)
        # Good rows are numbered around the malformed ones: the k-th good row sits at
        # k + (number of malformed rows before it). For the j-th malformed row at r_j,
        # r_j - j good rows precede it, so an ASOF join on k > r_j - j finds that count.
        shift = self._temp(f"shift{index}")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {shift} AS
            SELECT row_number - j AS _g, max(j) AS _shift FROM (
                SELECT row_number, row_number() OVER (ORDER BY row_number) AS j
                FROM {malformed} WHERE file_index = {index}
            ) GROUP BY ALL"""
        )
        return (
            f"(SELECT c._chorus_ord + coalesce(m._shift, 0) AS _source_row, "
            f"c.* EXCLUDE (_chorus_ord) FROM {staged} c ASOF LEFT JOIN {shift} m "
            f"ON c._chorus_ord > m._g)"
        )

    def _line_map(self, index: int, source: SourceFile) -> CsvLines | None:
        """The file's row -> line map, computed once and only for a file with rejects."""
        if index not in self.lines:
            self.lines[index] = csv_lines(source.path, self.records[index])
        return self.lines[index]

    def _place_malformed(self, index: int, source: SourceFile, malformed: str) -> None:
        """Set the editor line of the file's malformed records, and their data row where
        a blank line or a multi-line value shifted DuckDB's record number."""
        lines = self._line_map(index, source)
        if lines is None:  # unknown: line stays NULL, row is DuckDB's record number - 1
            return
        if lines.regular:
            self.con.execute(
                f"UPDATE {malformed} SET line_number = line WHERE file_index = {index}"
            )
            return
        reported = [
            r
            for (r,) in self.con.execute(
                f"SELECT line FROM {malformed} WHERE file_index = {index}"
            ).fetchall()
        ]
        placed = [(r, *p) for r in reported if (p := lines.malformed(r)) is not None]
        if placed:
            self.con.execute(
                f"""UPDATE {malformed} m SET row_number = x.row_number, line_number = x.line_number
                FROM (SELECT unnest(?) AS line, unnest(?) AS row_number, unnest(?) AS line_number) x
                WHERE m.file_index = {index} AND m.line = x.line""",
                [[p[0] for p in placed], [p[1] for p in placed], [p[2] for p in placed]],
            )

    def _base(self, index: int, source: SourceFile, malformed: str) -> str:
        if source.format == "csv":
            return self._stage_csv(index, source, malformed)
        return _parquet_base(source)

    # -- 2. checks ----------------------------------------------------------------------

    def _check_pass(self, files: list[FileSQL], exceptions: str) -> None:
        """Fill `exceptions` with (file, row, check code, first occurrence) for every row
        that will be rejected. No row-wide materialization: the pass streams once for the
        contract checks and once over the key columns alone (cheap in columnar files)."""
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {exceptions} AS
            SELECT _file AS _chorus_file, _row AS _chorus_row, _check AS _chorus_check,
                   CAST(NULL AS BIGINT) AS _chorus_first
            FROM ({
                " UNION ALL ".join(
                    f"SELECT {f.index} AS _file, _source_row AS _row, "
                    f"{f.check_code()} AS _check FROM {f.checked()}"
                    for f in files
                )
            }) WHERE _check > 0"""
        )
        keys = [f"_k{i}" for i in range(len(self.table.key))]
        key_rows = " UNION ALL ".join(
            f"SELECT {f.index} AS _file, _source_row AS _row, "
            + ", ".join(f"{e} AS {k}" for e, k in zip(f.key_exprs(), keys, strict=True))
            + f" FROM {f.checked()}"
            for f in files
        )
        # Keys seen more than once, over all rows (valid or not): usually none, so the
        # exact pass below is usually skipped.
        repeated = self._temp("repeated")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {repeated} AS
            SELECT {", ".join(keys)} FROM ({key_rows}) GROUP BY ALL HAVING count(*) > 1"""
        )
        if not self._scalar(f"SELECT count(*) FROM {repeated}"):
            return
        # A repeated key is judged among valid rows only, so a broken first copy does not
        # shadow a good second one. Events: the first valid copy in file order wins (a
        # redelivered webhook). Entities: the last one wins, as it would had the files been
        # loaded one by one (a folder of daily order exports ends with the latest status).
        pick = "max" if self.table.mutable else "min"
        on = " AND ".join(f"c.{k} = f.{k}" for k in keys)
        self.con.execute(
            f"""INSERT INTO {exceptions}
            WITH candidates AS (
                SELECT c.* FROM ({key_rows}) c SEMI JOIN {repeated} f ON {on}
            ),
            valid AS (
                SELECT c.* FROM candidates c ANTI JOIN {exceptions} e
                  ON e._chorus_file = c._file AND e._chorus_row = c._row
            ),
            firsts AS (
                SELECT {", ".join(keys)}, {pick}(_file * {ROW_BITS} + _row) AS _first
                FROM valid GROUP BY ALL HAVING count(*) > 1
            )
            SELECT c._file, c._row, {duplicate_code(self.table)}, f._first
            FROM valid c JOIN firsts f ON {on}
            WHERE c._file * {ROW_BITS} + c._row <> f._first"""
        )

    # -- 3. rejects ---------------------------------------------------------------------

    def _csv_line_expr(self, f: FileSQL, exceptions: str) -> tuple[str, str]:
        """(SQL for the editor line of a rejected row of CSV file `f`, join it needs)."""
        lines = self._line_map(f.index, f.source)
        if lines is None:
            return "CAST(NULL AS BIGINT)", ""
        if lines.regular:
            return "b._source_row + 1", ""
        rows = [
            r
            for (r,) in self.con.execute(
                f"SELECT _chorus_row FROM {exceptions} WHERE _chorus_file = {f.index}"
            ).fetchall()
        ]
        placed = self._temp(f"lines{f.index}")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {placed} AS
            SELECT unnest(?) AS row_number, unnest(?) AS line_number""",
            [rows, [lines.line(r) for r in rows]],
        )
        return "l.line_number", f" LEFT JOIN {placed} l ON l.row_number = b._source_row"

    def _write_rejects(
        self, files: list[FileSQL], exceptions: str, malformed: str, result: TableLoadResult
    ) -> None:
        relpaths = "[" + ", ".join(lit(s.relpath) for s in self.sources) + "]"
        first_file = f"list_extract({relpaths}, CAST(e._chorus_first // {ROW_BITS} AS INTEGER) + 1)"
        first_row = f"CAST(e._chorus_first % {ROW_BITS} AS VARCHAR)"
        with_exceptions = {
            i
            for (i,) in self.con.execute(
                f"SELECT DISTINCT _chorus_file FROM {exceptions}"
            ).fetchall()
        }
        parts = []
        for f in files:
            if f.index not in with_exceptions:
                continue
            base, line, join = f.base, "CAST(NULL AS BIGINT)", ""
            if f.source.format == "parquet":
                rows = [
                    r
                    for (r,) in self.con.execute(
                        f"SELECT _chorus_row FROM {exceptions} WHERE _chorus_file = {f.index} "
                        f"LIMIT {PUSHDOWN_ROWS + 1}"
                    ).fetchall()
                ]
                if len(rows) <= PUSHDOWN_ROWS:
                    base = _parquet_base(f.source, rows)
            else:
                line, join = self._csv_line_expr(f, exceptions)
            parts.append(
                f"""SELECT {lit(f.source.relpath)} AS source_file,
                    {lit(str(f.source.path))} AS source_path, b._source_row AS row_number,
                    {line} AS line_number,
                    {reason_case(self.table, "e._chorus_check")} AS reason,
                    {f.detail_case("e._chorus_check", first_file, first_row)} AS detail,
                    {f.row_json()} AS row_json
                FROM {base} b JOIN {exceptions} e
                  ON e._chorus_file = {f.index} AND e._chorus_row = b._source_row{join}"""
            )
        parts.append(
            f"""SELECT source_file, source_path, row_number, line_number,
                'malformed_row' AS reason,
                coalesce('line ' || line_number || ': ', '') || error_message
                    || ' (' || error_type || ')' AS detail,
                CAST(json_object('raw_line', csv_line) AS VARCHAR) AS row_json
            FROM {malformed}"""
        )
        found = self._temp("rejects")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {found} AS {' UNION ALL '.join(parts)}")
        # A reject is identified by (table, file, row, original row): reloading the same
        # file re-rejects the same rows without adding them again. The row's content is
        # part of the identity because exports are often overwritten under the same name
        # (orders.csv every day): a new bad row at an old position must still be recorded.
        # The file is its path relative to the source dir, so loading the same folder
        # through another path (relative, absolute, a symlink) is still a reload.
        same = f"""x.table_name = {lit(self.table.name)}
                  AND x.source_file = r.source_file AND x.row_number = r.row_number
                  AND x.row_json IS NOT DISTINCT FROM r.row_json"""
        result.rejects_recorded = self._scalar(
            f"""INSERT INTO {SCHEMA}.rejected_rows BY NAME
            SELECT {lit(self.load_id)} AS load_id, {lit(self.table.name)} AS table_name,
                   r.*, {ts_lit(self.loaded_at)} AS rejected_at
            FROM {found} r
            WHERE NOT EXISTS (SELECT 1 FROM {SCHEMA}.rejected_rows x WHERE {same})"""
        )
        if result.rejects_recorded == self._scalar(f"SELECT count(*) FROM {found}"):
            result.reject_load_ids = [self.load_id]
        else:  # some were recorded by earlier loads: say where they are
            result.reject_load_ids = [
                load_id
                for (load_id,) in self.con.execute(
                    f"""SELECT DISTINCT x.load_id FROM {SCHEMA}.rejected_rows x
                    SEMI JOIN {found} r ON {same} ORDER BY 1"""
                ).fetchall()
            ]
        samples = self.con.execute(
            f"""SELECT reason, source_file, source_path, row_number, line_number, detail,
                       row_json
            FROM {found}
            QUALIFY row_number() OVER (PARTITION BY reason ORDER BY source_file, row_number)
                <= {SAMPLES_PER_REASON}
            ORDER BY source_file, row_number"""
        ).fetchall()
        order = {reason: i for i, reason in enumerate(REJECT_REASONS)}
        result.reject_samples = sorted(
            (
                RejectSample(
                    reason, file, path, row, line, detail or "", json.loads(row_json or "{}")
                )
                for reason, file, path, row, line, detail, row_json in samples
            ),
            key=lambda sample: order.get(sample.reason, len(order)),
        )

    def _rejects_by_reason(self, exceptions: str, malformed: str) -> dict[str, int]:
        codes = dict(
            self.con.execute(
                f"SELECT _chorus_check, count(*) FROM {exceptions} GROUP BY ALL"
            ).fetchall()
        )
        by_reason: dict[str, int] = {}
        n_malformed = self._scalar(f"SELECT count(*) FROM {malformed}")
        if n_malformed:
            by_reason["malformed_row"] = n_malformed
        table_checks = checks(self.table)
        for code, n in codes.items():
            reason = (
                "duplicate_key"
                if code == duplicate_code(self.table)
                else table_checks[code - 1].reason
            )
            by_reason[reason] = by_reason.get(reason, 0) + n
        assert set(by_reason) <= set(REJECT_REASONS), by_reason
        return {r: by_reason[r] for r in REJECT_REASONS if r in by_reason}

    # -- 4. valid rows ------------------------------------------------------------------

    def _valid_rows(self, files: list[FileSQL], exceptions: str, any_exceptions: bool) -> str:
        parts = []
        for f in files:
            values = ", ".join(
                f"{expr} AS {ident(name)}" for name, expr in f.value_exprs(self.extras)
            )
            anti = (
                f" ANTI JOIN {exceptions} e ON e._chorus_file = {f.index} "
                f"AND e._chorus_row = b._source_row"
                if any_exceptions
                else ""
            )
            parts.append(
                f"SELECT {values}, {lit(f.source.relpath)} AS _source_file, "
                f"b._source_row AS _source_row, {ts_lit(self.loaded_at)} AS _loaded_at, "
                f"{lit(self.load_id)} AS _load_id FROM {f.base} b{anti}"
            )
        return " UNION ALL ".join(parts)

    def _write_valid(self, valid: str, counts: _Counts) -> None:
        key_on = " AND ".join(f"t.{ident(k)} = v.{ident(k)}" for k in self.table.key)
        target_empty = not self.con.execute(f"SELECT 1 FROM {self.target} LIMIT 1").fetchone()
        if target_empty:
            # First load of this table: nothing to compare against, skip the key join.
            counts.inserted = self._scalar(f"INSERT INTO {self.target} BY NAME {valid}")
            return
        if not self.table.mutable:
            # Events are immutable: a key already loaded is left as it is.
            counts.unchanged = self._scalar(
                f"SELECT count(*) FROM ({valid}) v SEMI JOIN {self.target} t ON {key_on}"
            )
            counts.inserted = self._scalar(
                f"INSERT INTO {self.target} BY NAME "
                f"SELECT v.* FROM ({valid}) v ANTI JOIN {self.target} t ON {key_on}"
            )
            return
        # Mutable entities (an order becomes refunded): a re-exported key with different
        # contract values replaces the stored row; extra columns do not count as a change.
        stage = self._temp("stage")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS {valid}")
        same = " AND ".join(
            f"t.{ident(c.name)} IS NOT DISTINCT FROM v.{ident(c.name)}" for c in self.table.columns
        )
        unchanged, changed = self.con.execute(
            f"SELECT count(*) FILTER ({same}), count(*) FILTER (NOT ({same})) "
            f"FROM {stage} v JOIN {self.target} t ON {key_on}"
        ).fetchone()
        counts.unchanged, counts.updated = int(unchanged), int(changed)
        deleted = self._scalar(
            f"DELETE FROM {self.target} AS t USING {stage} AS v WHERE {key_on} AND NOT ({same})"
        )
        written = self._scalar(
            f"INSERT INTO {self.target} BY NAME "
            f"SELECT v.* FROM {stage} v ANTI JOIN {self.target} t ON {key_on}"
        )
        if deleted != counts.updated or written < counts.updated:
            raise ReconciliationError(
                f"{self.table.name}: replaced {deleted} stored rows and wrote {written} for "
                f"{counts.updated} changed keys; the load was rolled back."
            )
        counts.inserted = written - counts.updated

    # -- run ----------------------------------------------------------------------------

    def run(self) -> TableLoadResult:
        started_at, start = _utcnow(), time.perf_counter()
        result = TableLoadResult(
            self.table.name,
            [s.relpath for s in self.sources],
            [str(s.path) for s in self.sources],
            load_id=self.load_id,
        )
        _ensure_table(self.con, self.table, self.extras)
        malformed = self._temp("malformed")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {malformed} (file_index INTEGER,
                source_file VARCHAR, source_path VARCHAR, row_number BIGINT, line BIGINT,
                line_number BIGINT, error_type VARCHAR, error_message VARCHAR,
                csv_line VARCHAR)"""
        )
        files = [
            FileSQL(self.table, source, self._base(i, source, malformed), i)
            for i, source in enumerate(self.sources)
        ]
        exceptions = self._temp("exceptions")
        self._check_pass(files, exceptions)

        counts = _Counts()
        n_malformed = self._scalar(f"SELECT count(*) FROM {malformed}")
        counts.read = n_malformed + sum(
            self._scalar(f"SELECT count(*) FROM {f.base}") for f in files
        )
        n_exceptions = self._scalar(f"SELECT count(*) FROM {exceptions}")
        counts.rejected = n_malformed + n_exceptions
        if counts.rejected:
            self._write_rejects(files, exceptions, malformed, result)
        result.rejects_by_reason = self._rejects_by_reason(exceptions, malformed)
        self._write_valid(self._valid_rows(files, exceptions, n_exceptions > 0), counts)

        result.read, result.inserted, result.updated = counts.read, counts.inserted, counts.updated
        result.unchanged, result.rejected = counts.unchanged, counts.rejected
        result.seconds = time.perf_counter() - start
        if not result.reconciles():
            raise ReconciliationError(
                f"{self.table.name}: read {result.read} rows but inserted {result.inserted} + "
                f"updated {result.updated} + unchanged {result.unchanged} + rejected "
                f"{result.rejected} (by reason {result.rejects_by_reason}); the load was "
                f"rolled back. This is a loader bug: please report it with the input files."
            )
        self.con.execute(
            f"""INSERT INTO {SCHEMA}.load_log (load_id, table_name, source_files, rows_read,
                rows_inserted, rows_updated, rows_unchanged, rows_rejected, rejects_by_reason,
                started_at, finished_at, seconds, source_paths)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                self.load_id,
                self.table.name,
                result.files,
                result.read,
                result.inserted,
                result.updated,
                result.unchanged,
                result.rejected,
                json.dumps(result.rejects_by_reason),
                started_at,
                _utcnow(),
                result.seconds,
                result.source_paths,
            ],
        )
        return result

    def drop_temps(self) -> None:
        for name in reversed(self.temps):
            self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")


@contextmanager
def _transaction(con: DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _check_sample(con: DuckDBPyConnection, source_dir: Path, load_id: str) -> None:
    """A generated sample's parameters against the warehouse's (loader/sample.py), in a
    transaction of its own; an export that is no generated sample touches nothing."""
    wanted = read_generation(source_dir)
    if wanted is not None:
        with _transaction(con):
            check_sample(con, source_dir, wanted, load_id)


def _load_sources(
    con: DuckDBPyConnection,
    table: Table,
    sources: list[SourceFile],
    load_id: str,
    loaded_at: datetime,
) -> TableLoadResult:
    if not sources:
        # Nothing to load, but the (empty) table is created so dbt sources and checks
        # downstream run on a partial export instead of failing on a missing relation.
        with _transaction(con):
            ensure_raw_schema(con)
            _ensure_table(con, table, [])
        return TableLoadResult(table.name, load_id=load_id)
    # Timestamps without an offset mean UTC, and TIMESTAMPTZ -> TIMESTAMP converts in the
    # session zone: pin it (settings.connect() already does; a caller's connection may not).
    con.execute("SET TimeZone = 'UTC'")
    job = _TableLoad(con, table, sources, load_id, loaded_at)
    try:
        # One transaction per table: a failure leaves the table as it was (tables loaded
        # before it stay loaded; rerunning is idempotent).
        with _transaction(con):
            ensure_raw_schema(con)
            return job.run()
    finally:
        job.drop_temps()


def _check_tables(tables: list[str] | None) -> list[str]:
    """The selected tables in the order given (all, in contract order, for None); an
    unknown name raises contract.UnknownTableError (a ValueError)."""
    if tables is None:
        return list(TABLES)
    return parse_tables(tables) or []  # an empty selection (a Dagster subset) loads nothing


def load_table(
    con: DuckDBPyConnection, source_dir: Path, table: str, *, load_id: str | None = None
) -> TableLoadResult:
    """Load one raw table's files from `source_dir` over an open DuckDB connection (one
    Dagster asset per raw table). Checks the table's file headers first (ContractError),
    then loads in one transaction. A table without files returns a result with no files
    and touches nothing."""
    source_dir = Path(source_dir)
    name = parse_table(table)
    _require_dir(source_dir)
    sources = inspect_all(con, source_dir, discover(source_dir, [name]))[name]
    load_id = load_id or new_load_id()
    _check_sample(con, source_dir, load_id)
    return _load_sources(con, TABLES[name], sources, load_id, _utcnow())


def _require_dir(source_dir: Path) -> None:
    if not source_dir.is_dir():
        raise FileNotFoundError(
            f"{source_dir} is not a directory. Pass the folder holding the exports "
            f"(<table>.csv, <table>.parquet or <table>/ folders), e.g. `chorus load --from DIR`."
        )


def load_directory(
    source_dir: Path,
    db_path: Path | None = None,
    tables: list[str] | None = None,
    progress: Progress | None = None,
    target: str | None = None,
) -> LoadSummary:
    """Load every raw table found in `source_dir` into the DuckDB file at `db_path`
    (default: settings.duckdb_path()), then, on the postgres and spark targets (`target`,
    default CHORUS_DBT_TARGET), copy the raw tables that changed to it (publish.py).

    All files' headers are checked before anything is loaded; a problem raises
    ContractError listing every offending file. Tables load in contract order, each in
    its own transaction, under one load_id. `progress(table, done, total)` is called when
    a table starts (done = tables finished so far) and when it finishes."""
    from orchestration.settings import connect

    source_dir = Path(source_dir)
    selected = _check_tables(tables)
    _require_dir(source_dir)
    summary = LoadSummary(new_load_id(), source_dir)
    start, loaded_at = time.perf_counter(), _utcnow()
    # an unreachable server stops the load here, before anything is written
    writer = open_writer(target)
    con = connect(db_path)
    # Progress is reported through `progress`; DuckDB's own bar would garble the CLI's.
    con.execute("SET enable_progress_bar = false")
    try:
        inspected = inspect_all(con, source_dir, discover(source_dir, selected))
        _check_sample(con, source_dir, summary.load_id)
        for done, name in enumerate(selected):
            if progress:
                progress(name, done, len(selected))
            summary.results.append(
                _load_sources(con, TABLES[name], inspected[name], summary.load_id, loaded_at)
            )
            if progress:
                progress(name, done + 1, len(selected))
        if writer is not None:
            summary.published = publish(
                con,
                writer,
                selected,
                progress=(
                    (lambda t: progress(f"{t} -> {writer.name}", len(selected), len(selected)))
                    if progress
                    else None
                ),
            )
    finally:
        con.close()
        if writer is not None:
            writer.close()
    summary.seconds = time.perf_counter() - start
    return summary
