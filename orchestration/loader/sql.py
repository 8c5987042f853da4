"""SQL text for one raw table read from one input file: typed values, contract checks
and reject details, generated from orchestration.contract so no schema is restated here.

Every check is a SQL predicate evaluated by DuckDB over the whole file (set-based, no
Python per row). Checks are numbered: the first failing one, in REJECT_REASONS order
(all missing values, then all type errors, then enums, then ranges), becomes the row's
reject code; 0 means the row is valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestration.contract import (
    BOOLEAN,
    DOUBLE,
    INTEGER,
    STRING,
    TIMESTAMP,
    Column,
    Table,
)
from orchestration.loader.discovery import SourceColumn, SourceFile

NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


# Text spellings of NaN that count as "no value" in numeric columns (see _nan_to_null).
NAN_TEXT = "('nan', 'NaN', 'NAN', '-nan')"
# trim() alone strips spaces only; exports also pad with tabs and stray line breaks.
WHITESPACE = "chr(32) || chr(9) || chr(10) || chr(13)"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ts_lit(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _is_numeric(duckdb_type: str) -> bool:
    return duckdb_type.upper().split("(")[0] in NUMERIC_TYPES


def _type_noun(type_: str) -> str:
    if type_ == TIMESTAMP:
        return "an ISO-8601 timestamp"
    if type_ == INTEGER:
        return "a whole number"
    if type_ == BOOLEAN:
        return "a boolean (true/false)"
    if type_ == DOUBLE:
        return "a number"
    return f"a decimal number ({type_})"


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Check:
    """One contract check on one column; its 1-based position in `checks()` is its code."""

    reason: str
    kind: str  # missing | invalid | unknown | below | above
    column: Column


def checks(table: Table) -> list[Check]:
    """The table's checks in evaluation order (the first failing one names the reason)."""
    cols = table.columns
    return (
        [Check("missing_value", "missing", c) for c in cols if c.not_null]
        + [Check("invalid_type", "invalid", c) for c in cols if c.type != STRING]
        + [Check("unknown_value", "unknown", c) for c in cols if c.enum]
        + [Check("out_of_range", "below", c) for c in cols if c.min_value is not None]
        + [Check("out_of_range", "above", c) for c in cols if c.max_value is not None]
    )


def duplicate_code(table: Table) -> int:
    return len(checks(table)) + 1


def reason_case(table: Table, code: str) -> str:
    """SQL mapping a check code to its REJECT_REASONS value (file independent)."""
    whens = " ".join(f"WHEN {i} THEN {lit(c.reason)}" for i, c in enumerate(checks(table), 1))
    return f"CASE {code} {whens} WHEN {duplicate_code(table)} THEN 'duplicate_key' END"


class FileSQL:
    """Expressions for `table`'s columns over the relation `base` made from one file.

    `base` must expose the file's columns by their source names plus `_source_row`."""

    def __init__(self, table: Table, source: SourceFile, base: str, index: int) -> None:
        self.table = table
        self.source = source
        self.base = base
        self.index = index

    def _src(self, column: Column) -> SourceColumn | None:
        return self.source.column(column.name)

    def text(self, column: Column) -> str:
        """The value as given, as VARCHAR (for enum checks, details and string columns)."""
        src = self._src(column)
        if src is None:
            return "CAST(NULL AS VARCHAR)"
        if src.type == "VARCHAR":
            return ident(src.source)
        return f"CAST({ident(src.source)} AS VARCHAR)"

    def blank(self, column: Column) -> str:
        """No value: NULL, empty or whitespace, and NaN in a numeric column."""
        src = self._src(column)
        if src is None:
            return "TRUE"
        value, numeric = ident(src.source), _is_numeric(column.type)
        if src.type == "VARCHAR":
            # A blank value starts with a character below '!' (space, tab, ...) or is empty:
            # that cheap comparison spares a trim() of every value of every checked column.
            nan = f" OR {value} IN {NAN_TEXT}" if numeric else ""
            return f"({value} IS NULL{nan} OR ({value} < '!' AND trim({value}, {WHITESPACE}) = ''))"
        if numeric and src.type.upper() in ("FLOAT", "DOUBLE"):
            return f"({value} IS NULL OR isnan({value}))"
        return f"({value} IS NULL)"

    def typed(self, column: Column) -> str:
        """The value cast to the contract type; NULL when blank or when it does not cast."""
        src = self._src(column)
        if src is None:
            return f"CAST(NULL AS {column.type})"
        if column.type == STRING:
            return self.text(column)
        value, source_type = ident(src.source), src.type.upper()
        if source_type == column.type:
            return _nan_to_null(value) if column.type == DOUBLE else value
        if source_type == "VARCHAR":
            return _from_text(value, column.type)
        if column.type == TIMESTAMP and (
            source_type.startswith("TIMESTAMP") or source_type == "DATE"
        ):
            # TIMESTAMPTZ -> TIMESTAMP uses the session time zone, which the loader pins to UTC
            return f"TRY_CAST({value} AS TIMESTAMP)"
        if _is_numeric(source_type) and column.type not in (TIMESTAMP, BOOLEAN):
            if column.type == INTEGER and source_type.startswith(("FLOAT", "DOUBLE", "DECIMAL")):
                return f"CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS INTEGER) END"
            cast = f"TRY_CAST({value} AS {column.type})"
            return _nan_to_null(cast) if column.type == DOUBLE else cast
        # anything else (e.g. epoch numbers for a timestamp) goes through its text form
        return _from_text(f"CAST({value} AS VARCHAR)", column.type)

    def _typed_ref(self, column: Column) -> str:
        """In the check pass each cast value is computed once, as a column of `checked()`."""
        return ident(f"_chorus_t{self.table.columns.index(column)}")

    def checked(self) -> str:
        """`base` plus the cast value of every typed contract column (see `_typed_ref`):
        referencing one column instead of repeating TRY_CAST in several checks halves the
        cost of the check pass on timestamp-heavy tables."""
        typed = [
            f"{self.typed(c)} AS {self._typed_ref(c)}"
            for c in self.table.columns
            if c.type != STRING and self._src(c) is not None
        ]
        return f"(SELECT *, {', '.join(typed)} FROM {self.base})" if typed else self.base

    def condition(self, check: Check) -> str:
        """The check's predicate over `checked()`. Cheap tests come first in each AND so
        DuckDB evaluates the expensive part only for the few rows that need it."""
        c = check.column
        if self._src(c) is None:  # optional column absent from this file: all NULL
            return "TRUE" if check.kind == "missing" else "FALSE"
        typed = self.text(c) if c.type == STRING else self._typed_ref(c)
        if check.kind == "missing":
            return self.blank(c) if c.type == STRING else f"({typed} IS NULL AND {self.blank(c)})"
        if check.kind == "invalid":
            return f"({typed} IS NULL AND NOT {self.blank(c)})"
        if check.kind == "unknown":
            values = ", ".join(lit(v) for v in c.enum or ())
            return f"(lower(trim({self.text(c)})) NOT IN ({values}) AND NOT {self.blank(c)})"
        if check.kind == "below":
            return f"({typed} < {_num(c.min_value or 0)})"
        return f"({typed} > {_num(c.max_value or 0)})"

    def detail(self, check: Check) -> str:
        c = check.column
        shown = f"'''' || {self.text(c)} || ''''"
        prefix = lit(f"column {c.name}: ")
        if check.kind == "missing":
            return lit(f"column {c.name} is empty")
        if check.kind == "invalid":
            return f"{prefix} || {shown} || {lit(' is not ' + _type_noun(c.type))}"
        if check.kind == "unknown":
            return f"{prefix} || {shown} || {lit(' is not one of ' + ', '.join(c.enum or ()))}"
        if check.kind == "below":
            return (
                f"{prefix} || {shown} || {lit(' is below the minimum ' + _num(c.min_value or 0))}"
            )
        return f"{prefix} || {shown} || {lit(' is above the maximum ' + _num(c.max_value or 0))}"

    def check_code(self) -> str:
        """0 for a valid row, else the code of the first failing check."""
        whens = [
            f"WHEN {self.condition(check)} THEN {i}"
            for i, check in enumerate(checks(self.table), 1)
            if self.condition(check) != "FALSE"
        ]
        return f"CASE {' '.join(whens)} ELSE 0 END" if whens else "0"

    def detail_case(self, code: str, first_file: str, first_row: str) -> str:
        whens = [f"WHEN {i} THEN {self.detail(ch)}" for i, ch in enumerate(checks(self.table), 1)]
        key = " || ', ' || ".join(
            f"{lit(k + '=')} || '''' || {self.text(self.table.column(k))} || ''''"
            for k in self.table.key
        )
        seen = "is superseded by" if self.table.mutable else "already appears in"
        dup = f"'key ' || {key} || ' {seen} ' || {first_file} || ' row ' || {first_row}"
        whens.append(f"WHEN {duplicate_code(self.table)} THEN {dup}")
        return f"CASE {code} {' '.join(whens)} END"

    def row_json(self) -> str:
        """The row as the file holds it, as JSON text (column names as spelled in the file)."""
        pairs = ", ".join(f"{lit(c.source)}, {ident(c.source)}" for c in self.source.columns)
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def key_exprs(self) -> list[str]:
        """The key columns' values over `checked()`."""
        cols = [self.table.column(k) for k in self.table.key]
        return [self.text(c) if c.type == STRING else self._typed_ref(c) for c in cols]

    def value_exprs(self, extras: list[str]) -> list[tuple[str, str]]:
        """(target column, expression) for every contract and extra column of the raw table."""
        pairs = [(c.name, self.typed(c)) for c in self.table.columns]
        for name in extras:
            src = self.source.column(name)
            pairs.append(
                (name, f"CAST({ident(src.source)} AS VARCHAR)" if src else "CAST(NULL AS VARCHAR)")
            )
        return pairs


def _from_text(value: str, type_: str) -> str:
    if type_ == TIMESTAMP:
        # TIMESTAMPTZ parses 'Z' and '+02:00' offsets and takes an offset-less value in the
        # session time zone (UTC); a plain TIMESTAMP cast would silently drop the offset.
        return f"CAST(TRY_CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if type_ == BOOLEAN:
        return f"TRY_CAST(trim({value}) AS BOOLEAN)"
    if type_ == INTEGER:
        # DuckDB rounds '2.5' to an integer; a fractional quantity is an error, but '3.0'
        # (pandas writes nullable ints that way) is 3.
        as_double = f"TRY_CAST({value} AS DOUBLE)"
        return f"CASE WHEN {as_double} = trunc({as_double}) THEN TRY_CAST({value} AS INTEGER) END"
    if type_ == DOUBLE:
        return _nan_to_null(f"TRY_CAST({value} AS DOUBLE)")
    return f"TRY_CAST({value} AS {type_})"


def _nan_to_null(value: str) -> str:
    # NaN is how pandas and numpy spell "no value" (written as 'nan' in CSV): it is stored
    # as NULL, never compared with bounds (NaN sorts above every number in DuckDB).
    return f"nullif({value}, CAST('NaN' AS DOUBLE))"
