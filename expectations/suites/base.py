"""Building blocks of the raw suites: the rules every raw table gets from the contract
(orchestration/contract.py) and small constructors for table-specific rules.

Every expectation carries `meta={"rule": ..., "column": ...}` so the runner can turn a
GX result into one readable line without knowing each expectation class.

One set of suites runs on every engine (duckdb, postgres, spark). GX's own expectations
compile per engine by themselves; the rules written as SQL (`query_rule`) stick to what
the three dialects share, and the two things they spell differently, quoting an
identifier and matching a whole string against a regular expression, go through
`SuiteContext.dialect` (`Dialect.quote`, `Dialect.full_match`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import great_expectations.expectations as gxe

from orchestration.contract import TIMESTAMP, Table

RAW_SCHEMA = "raw"
DEFAULT_FUTURE_TOLERANCE_HOURS = 24.0

# rule names: the vocabulary of TableResult failures (and of the tests)
COLUMN_EXISTS = "column_exists"
ROW_COUNT = "row_count"
NOT_NULL = "not_null"
UNIQUE_KEY = "unique_key"
ENUM = "enum"
RANGE = "range"
FUTURE_TIME = "future_time"
REFERENCE = "reference"
ORDER = "order"
CUSTOM = "custom"

CRITICAL = "critical"
WARNING = "warning"


def future_tolerance() -> timedelta:
    """CHORUS_FUTURE_TOLERANCE_HOURS: how far past now a timestamp may be (default 24)."""
    raw = os.environ.get("CHORUS_FUTURE_TOLERANCE_HOURS", "").strip()
    if not raw:
        return timedelta(hours=DEFAULT_FUTURE_TOLERANCE_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        raise ValueError(
            f"CHORUS_FUTURE_TOLERANCE_HOURS must be a number of hours, got {raw!r}"
        ) from None
    if hours < 0:
        raise ValueError(f"CHORUS_FUTURE_TOLERANCE_HOURS must not be negative, got {raw!r}")
    return timedelta(hours=hours)


def utc_now() -> datetime:
    """Now as a naive UTC timestamp, comparable with the raw TIMESTAMP columns."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Dialect:
    """How a rule's SQL spells what the engines disagree on."""

    name: str  # duckdb | postgres | spark

    def quote(self, identifier: str) -> str:
        """A quoted identifier: "name" in DuckDB and PostgreSQL, `name` in Spark SQL (where
        "name" is a string literal)."""
        if self.name == "spark":
            return "`" + identifier.replace("`", "``") + "`"
        return '"' + identifier.replace('"', '""') + '"'

    def full_match(self, expression: str, pattern: str) -> str:
        """True when the whole of `expression` matches the regular expression `pattern`
        (classes, ranges and {n} counts only: the syntax RE2, PostgreSQL and Java share).
        Braces come out doubled, as GX formats the query ({batch})."""
        if self.name == "duckdb":
            sql = f"regexp_full_match({expression}, {literal(pattern)})"
        elif self.name == "postgres":
            # ARE: without the 'n' flag, $ is the end of the string only
            sql = f"({expression} ~ {literal('^(?:' + pattern + ')$')})"
        elif self.name == "spark":
            # Java: $ also matches before a final line break; \z is the end of input
            # (written \\z: Spark SQL literals take backslash escapes)
            sql = f"({expression} rlike {literal('^(?:' + pattern + ')' + chr(92) * 2 + 'z')})"
        else:
            raise ValueError(f"no SQL dialect {self.name!r}")
        return sql.replace("{", "{{").replace("}", "}}")


DUCKDB = Dialect("duckdb")


@dataclass
class SuiteContext:
    """What a suite may depend on besides the contract: the columns the raw table really
    has, which other raw tables exist (for references), and the clock."""

    columns: frozenset[str]
    raw_tables: frozenset[str]
    now: datetime = field(default_factory=utc_now)
    tolerance: timedelta = field(default_factory=future_tolerance)
    notes: list[str] = field(default_factory=list)  # rules left out, and why
    dialect: Dialect = DUCKDB  # the engine the rules' SQL runs on

    def q(self, identifier: str) -> str:
        return self.dialect.quote(identifier)

    @property
    def future_cutoff(self) -> datetime:
        return self.now + self.tolerance

    def has(self, *columns: str) -> bool:
        return all(c in self.columns for c in columns)


class ExpectQueryToReturnNoRows(gxe.UnexpectedRowsExpectation):
    """UnexpectedRowsExpectation that keeps a sample of the offending rows in its result
    whatever the result format, so a failure can name the bad values. The query runs in
    the database (pushdown); GX fetches at most 200 of its rows."""

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict:
        count = metrics["unexpected_rows_query.row_count"]
        rows = metrics["unexpected_rows_query.table"] or []
        return {
            "success": count == 0,
            "result": {
                "observed_value": count,
                # GX fetches at most 200 rows (MAX_RESULT_RECORDS); keep them all so
                # per-value counts add up exactly when there are fewer bad values
                "details": {"unexpected_rows": list(rows)},
            },
        }


def q(identifier: str) -> str:
    """Quote an identifier for DuckDB (and PostgreSQL); rules use `ctx.q`, which quotes
    for the engine they run on."""
    return DUCKDB.quote(identifier)


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _meta(rule: str, column: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "column": column, **extra}


def query_rule(
    query: str,
    *,
    rule: str,
    description: str,
    column: str | None = None,
    severity: str = CRITICAL,
    **meta: Any,
) -> ExpectQueryToReturnNoRows:
    """A rule written as SQL over `{batch}` (the raw table) returning the offending rows.

    Queries that aggregate should return `value` and `n` (rows per value), so the
    report can say which values and how many rows.
    """
    return ExpectQueryToReturnNoRows(
        unexpected_rows_query=query,
        description=description,
        severity=severity,
        meta=_meta(rule, column, **meta),
    )


def enum_rule(
    table: Table, column: str, values: Sequence[str], ctx: SuiteContext
) -> ExpectQueryToReturnNoRows:
    """Values must be in the set once trimmed and lower-cased (the loader stores them as
    given). Returns one row per distinct bad value with its row count."""
    accepted = ", ".join(literal(v) for v in values)
    col = ctx.q(column)
    return query_rule(
        f"select {col} as value, count(*) as n from {{batch}} "
        f"where {col} is not null and lower(trim({col})) not in ({accepted}) "
        f"group by {col} order by n desc, value",
        rule=ENUM,
        column=column,
        description=f"{table.name}.{column} is one of: {', '.join(values)} (case-insensitive)",
        accepted=list(values),
    )


def order_rule(
    table: Table, later: str, earlier: str, severity: str = CRITICAL
) -> gxe.ExpectColumnPairValuesAToBeGreaterThanB:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        severity=severity,
        description=f"{table.name}.{later} is not before {earlier}",
        meta=_meta(ORDER, later, other=earlier),
    )


def at_least_one_of_rule(
    table: Table,
    columns: Sequence[str],
    why: str,
    ctx: SuiteContext,
    severity: str = WARNING,
) -> ExpectQueryToReturnNoRows:
    """Rows must carry at least one of these (identifier) columns."""
    # coalesce(...) = '' rather than trim(): DuckDB answers it from column statistics when
    # a column has no nulls, and a blank-only identifier is junk that identity rules drop
    none_set = " and ".join(f"coalesce({ctx.q(c)}, '') = ''" for c in columns)
    key = table.key[0]
    return query_rule(
        f"select {ctx.q(key)} as value from {{batch}} where {none_set}",
        rule=CUSTOM,
        column=", ".join(columns),
        severity=severity,
        description=f"{table.name} rows carry at least one of {', '.join(columns)}: {why}",
        what=f"with none of {', '.join(columns)}",
        requires=list(columns),
    )


def future_time_rule(table: Table, column: str, ctx: SuiteContext) -> ExpectQueryToReturnNoRows:
    """No value later than now + tolerance. One row (latest value, row count) when broken,
    none otherwise, so an empty or all-null column passes."""
    col = ctx.q(column)
    cutoff = ctx.future_cutoff.isoformat(sep=" ", timespec="seconds")
    return query_rule(
        f"select max({col}) as value, count(*) as n from {{batch}} "
        f"where {col} > timestamp {literal(cutoff)} having count(*) > 0",
        rule=FUTURE_TIME,
        column=column,
        description=f"{table.name}.{column} is at most {ctx.tolerance} after now ({cutoff} UTC)",
        now=ctx.now.isoformat(sep=" ", timespec="seconds"),
        tolerance_hours=ctx.tolerance.total_seconds() / 3600,
    )


def contract_rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    """The rules every raw table gets from its contract entry."""
    rules: list[gxe.Expectation] = [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1,
            severity=WARNING,
            description=f"raw.{table.name} is not empty",
            meta=_meta(ROW_COUNT),
        )
    ]
    for column in table.columns:
        if column.required:
            rules.append(
                gxe.ExpectColumnToExist(
                    column=column.name,
                    description=f"raw.{table.name} has the required column {column.name}",
                    meta=_meta(COLUMN_EXISTS, column.name),
                )
            )
    present = [c for c in table.columns if c.name in ctx.columns]

    if ctx.has(*table.key):
        if len(table.key) == 1:
            rules.append(
                gxe.ExpectColumnValuesToBeUnique(
                    column=table.key[0],
                    description=f"{table.name}.{table.key[0]} is unique (the key)",
                    meta=_meta(UNIQUE_KEY, table.key[0]),
                )
            )
        else:
            rules.append(
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=list(table.key),
                    description=f"({', '.join(table.key)}) is unique in {table.name} (the key)",
                    meta=_meta(UNIQUE_KEY, "+".join(table.key)),
                )
            )

    for column in present:
        if column.not_null:
            rules.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column.name,
                    description=f"{table.name}.{column.name} is never null",
                    meta=_meta(NOT_NULL, column.name, key=column.name in table.key),
                )
            )
        if column.enum:
            rules.append(enum_rule(table, column.name, column.enum, ctx))
        if column.min_value is not None or column.max_value is not None:
            rules.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    min_value=column.min_value,
                    max_value=column.max_value,
                    description=f"{table.name}.{column.name} is within "
                    f"[{column.min_value}, {column.max_value}]",
                    meta=_meta(RANGE, column.name, min=column.min_value, max=column.max_value),
                )
            )
        if column.type == TIMESTAMP:
            rules.append(future_time_rule(table, column.name, ctx))
    return rules


def without_missing_columns(
    rules: Iterable[gxe.Expectation], ctx: SuiteContext
) -> list[gxe.Expectation]:
    """Drop table-specific rules on columns the table does not have (an optional column
    not exported); the contract's column_exists rule already reports required ones."""
    kept: list[gxe.Expectation] = []
    for rule in rules:
        needed = [
            getattr(rule, name)
            for name in ("column", "column_A", "column_B")
            if isinstance(getattr(rule, name, None), str)
        ]
        needed += list(getattr(rule, "column_list", None) or [])
        needed += list((rule.meta or {}).get("requires", []))
        if ctx.has(*needed):
            kept.append(rule)
        else:
            ctx.notes.append(f"{rule.description}: not checked (column missing)")
    return kept
