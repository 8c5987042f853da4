"""Run the raw suites with Great Expectations on the configured target's schema raw and
turn the results into a short, readable report (`chorus validate`) and per-table results
(Dagster checks).

GX wiring (GX Core 1.x, ephemeral context: suites live in code, nothing is written):
data source -> one asset per raw table -> whole-table batch definition -> suite
(expectations/suites) -> validation definition -> checkpoint. The data source follows the
target (engines.target()):

- duckdb: SQL data source `duckdb+chorus:///<file>` (duckdb_dialect), table assets;
- postgres: GX's PostgreSQL data source on the profile's server, schema raw, table assets;
- spark: GX's Spark data source in the profile's session, one dataframe asset per table
  (`spark.table('raw.<table>')`).

Every expectation compiles to SQL (or Spark) that runs inside the engine; only aggregates
and at most a few sample rows come back to Python. The suites are the same on every
engine; their SQL rules spell the few dialect differences through `SuiteContext.dialect`.

    from expectations.runner import validate, validate_table, render
    report = validate()                       # all 13 raw tables, warehouse from settings
    result = validate_table(db, "orders")     # one table (one Dagster asset check)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
from great_expectations import exceptions as gx_exceptions
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from expectations import duckdb_dialect
from expectations.suites import build_suite, suite_name
from expectations.suites.base import (
    COLUMN_EXISTS,
    CRITICAL,
    ENUM,
    FUTURE_TIME,
    NOT_NULL,
    ORDER,
    RANGE,
    RAW_SCHEMA,
    REFERENCE,
    ROW_COUNT,
    UNIQUE_KEY,
    WARNING,
    Dialect,
    SuiteContext,
    future_tolerance,
    utc_now,
)
from orchestration import engines, settings
from orchestration.contract import TABLES, parse_table, parse_tables

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
SHOWN_VALUES = 5  # sample values named in one failure line
PARTIAL_UNEXPECTED = 10  # GX partial_unexpected_count for column rules


# ---------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold (or could not be evaluated)."""

    expectation: str  # GX expectation type, e.g. expect_column_values_to_be_unique
    rule: str  # Chorus rule: not_null, unique_key, enum, range, future_time, reference, ...
    column: str | None
    observed: str  # short and readable: "3 rows with 2 unknown values: 'cliked', 'opend'"
    severity: str = CRITICAL  # critical fails the table; warning is reported only
    description: str = ""

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return f"[{self.severity}] {self.rule} {where}{self.observed}"


@dataclass
class TableResult:
    """The outcome of one raw table's suite."""

    table: str
    status: str  # passed | failed | skipped
    evaluated: int = 0  # expectations evaluated
    failures: list[Failure] = field(default_factory=list)  # critical and warning
    row_count: int | None = None
    rejected_rows: int | None = None  # rows the loader put in raw.rejected_rows for it
    seconds: float = 0.0
    reason: str = ""  # why it was skipped
    notes: list[str] = field(default_factory=list)  # rules left out, and why

    @property
    def success(self) -> bool:
        """False only when a critical expectation failed; skipped tables do not fail."""
        return self.status != FAILED

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    @property
    def failed(self) -> int:
        """Number of critical expectations that failed."""
        return len(self.errors)

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for a Dagster AssetCheckResult (numbers and strings only)."""
        data: dict[str, str | int | float | bool] = {
            "table": f"{RAW_SCHEMA}.{self.table}",
            "status": self.status,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": self.failed,
            "warnings": len(self.warnings),
            "duration_seconds": round(self.seconds, 3),
        }
        if self.row_count is not None:
            data["row_count"] = self.row_count
        if self.rejected_rows is not None:
            data["rejected_rows"] = self.rejected_rows
        if self.reason:
            data["reason"] = self.reason
        if self.errors:
            data["failures"] = "\n".join(str(f) for f in self.errors)
        if self.warnings:
            data["warning_details"] = "\n".join(str(f) for f in self.warnings)
        if self.notes:
            data["notes"] = "\n".join(self.notes)
        return data


@dataclass
class ValidationReport:
    """Results of every validated raw table, in contract order."""

    db_path: Path  # the DuckDB file (on postgres and spark, the loader's working copy)
    checked_at: datetime  # "now" for the future-time rules (naive UTC)
    tolerance: timedelta
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0
    location: str = ""  # what was read: the file name, or the engine and its server

    @property
    def source(self) -> str:
        return self.location or self.db_path.name

    @property
    def success(self) -> bool:
        return all(t.success for t in self.tables)

    @property
    def evaluated(self) -> int:
        return sum(t.evaluated for t in self.tables)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.tables)

    def by_status(self, status: str) -> list[TableResult]:
        return [t for t in self.tables if t.status == status]

    def table(self, name: str) -> TableResult:
        for result in self.tables:
            if result.table == name:
                return result
        raise KeyError(f"{name!r} was not validated")


# ---------------------------------------------------------------------------------------
# running


def _ephemeral_context() -> gx.data_context.EphemeralDataContext:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,  # no network from validation runs or tests
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _open_catalog(path: Path) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A connection to read the catalog, read-only when possible. Within one process
    DuckDB requires every connection to a file to share one configuration, so when this
    process already holds the file read-write (Dagster's in-process executor, a test),
    validation joins it read-write; it still only reads."""
    try:
        return settings.connect(path, read_only=True), True
    except duckdb.ConnectionException as exc:
        if "different configuration" not in str(exc):
            raise
        return settings.connect(path, read_only=False), False
    except duckdb.IOException as exc:
        raise RuntimeError(
            f"cannot open {path} for validation: {exc}. Another process is writing the "
            "warehouse (a load or dbt build); run validation after it finishes."
        ) from exc


# ---------------------------------------------------------------------------------------
# the raw schema on each engine: its catalog, raw.rejected_rows, and the GX data source


class _Raw:
    """Where the raw tables are read on one engine: the columns of every raw table, the
    rejected-rows counts, and a GX batch (definition, parameters) per table."""

    engine: str
    location: str  # named in the report's title
    columns: dict[str, set[str]]
    rejected: dict[str, int]

    def batch(self, name: str, table: str) -> tuple[Any, dict[str, Any] | None]:
        raise NotImplementedError

    def done(self, table: str) -> None:
        """After a table's checkpoint ran."""

    def close(self) -> None:
        raise NotImplementedError


def _rejected(columns: dict[str, set[str]], rows: Any) -> dict[str, int]:
    """table -> rows, from (table_name, count) rows of raw.rejected_rows; rows is called
    only when the table exists with its table_name column."""
    if "table_name" not in columns.get("rejected_rows", set()):
        return {}
    return {str(name): int(count) for name, count in rows()}


_REJECTED_SQL = f"select table_name, count(*) from {RAW_SCHEMA}.rejected_rows group by table_name"


def _table_columns(rows: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for table_name, column_name in rows:
        columns.setdefault(table_name, set()).add(column_name)
    return columns


class _SqlRaw(_Raw):
    """A GX SQL data source (DuckDB's dialect, PostgreSQL) beside a catalog connection
    `con`: one table asset per raw table (the schema comes from the connection), and
    closing disposes both of the data source's SQLAlchemy engines."""

    datasource: Any
    con: Any

    def batch(self, name: str, table: str) -> tuple[Any, dict[str, Any] | None]:
        asset = self.datasource.add_table_asset(name=name, table_name=table)
        return asset.add_batch_definition_whole_table("whole_table"), None

    def close(self) -> None:
        for engine in (self.datasource.get_execution_engine().engine, self.datasource.get_engine()):
            engine.dispose()
        self.con.close()


class _DuckDBRaw(_SqlRaw):
    """The DuckDB file, through the `duckdb+chorus` SQLAlchemy dialect (duckdb_dialect)."""

    engine = "duckdb"

    def __init__(self, path: Path, context: Any) -> None:
        if not path.exists():
            raise FileNotFoundError(
                f"no warehouse at {path}: run `chorus load` first "
                "(or point CHORUS_DUCKDB_PATH / --db at the DuckDB file)"
            )
        self.location = path.name
        self.con, self.read_only = _open_catalog(path)
        try:
            self.columns = _table_columns(
                self.con.execute(
                    "select table_name, column_name from duckdb_columns() "
                    "where database_name = current_database() and schema_name = ?",
                    [RAW_SCHEMA],
                ).fetchall()
            )
            self.rejected = _rejected(
                self.columns, lambda: self.con.execute(_REJECTED_SQL).fetchall()
            )
            self.datasource = context.data_sources.add_sql(
                name="chorus_raw",
                connection_string=duckdb_dialect.connection_string(path, schema=RAW_SCHEMA),
                kwargs={"connect_args": {"read_only": self.read_only}},
            )
        except BaseException:
            self.con.close()
            raise


class _PostgresRaw(_SqlRaw):
    """Schema raw on the PostgreSQL target, through GX's PostgreSQL data source. The
    schema is given the way GX 1.x asks for it, in the connection (search_path), and the
    connections are read-only and in UTC like every other Chorus connection."""

    engine = "postgres"

    def __init__(self, context: Any) -> None:
        from orchestration.engines import postgres

        self.server = server = postgres.Server.from_profile()
        self.location = f"postgres {server.describe()}"
        # the catalog connection fails first, with the one clear error, when the server
        # cannot be reached
        self.con = postgres.connect(server, autocommit=True)
        try:
            with self.con.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")
                cur.execute(
                    "select table_name, column_name from information_schema.columns "
                    "where table_schema = %s",
                    (RAW_SCHEMA,),
                )
                self.columns = _table_columns(cur.fetchall())
            self.rejected = _rejected(self.columns, self._rejected_rows)
            options = (
                f"-c search_path={RAW_SCHEMA} -c TimeZone=UTC -c default_transaction_read_only=on"
            )
            try:
                self.datasource = context.data_sources.add_postgres(
                    name="chorus_raw",
                    connection_string=server.sqlalchemy_url(),
                    kwargs={
                        "connect_args": {
                            "options": options,
                            "connect_timeout": postgres.CONNECT_TIMEOUT_S,
                            "application_name": "chorus validate",
                        }
                    },
                )
            except gx_exceptions.TestConnectionError as exc:  # it went away meanwhile
                raise postgres.unreachable(server, exc.__cause__ or exc) from None
        except BaseException:
            self.con.close()
            raise

    def _rejected_rows(self) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(_REJECTED_SQL)
            return cur.fetchall()


class _SparkRaw(_Raw):
    """Database raw of the Spark target's metastore, through GX's Spark data source: one
    dataframe asset per table, its batch the whole `spark.table('raw.<table>')`. GX runs
    the rules' SQL in the same session, on the batch as the temporary view `tmp_view`, so
    raw.<parent> in a reference rule is the metastore's table."""

    engine = "spark"

    def __init__(self, context: Any) -> None:
        from orchestration.engines import spark

        self.spark = spark.session()
        self.location = f"spark {settings.spark_dir()}"
        # listTables lists the session's temporary views too (GX's `tmp_view`): not raw's
        names = (
            [t.name for t in self.spark.catalog.listTables(RAW_SCHEMA) if not t.isTemporary]
            if self.spark.catalog.databaseExists(RAW_SCHEMA)
            else []
        )
        self.columns = {name: set(self._frame(name).columns) for name in names}
        self.rejected = _rejected(
            self.columns, lambda: [tuple(r) for r in self.spark.sql(_REJECTED_SQL).collect()]
        )
        # persist=False: GX would cache every raw table and never release it; each table
        # is read once per metric batch instead (local Parquet)
        self.datasource = context.data_sources.add_spark(name="chorus_raw", persist=False)

    def _frame(self, table: str) -> Any:
        return self.spark.table(f"{RAW_SCHEMA}.`{table}`")

    def batch(self, name: str, table: str) -> tuple[Any, dict[str, Any] | None]:
        asset = self.datasource.add_dataframe_asset(name=name)
        definition = asset.add_batch_definition_whole_dataframe("whole_table")
        return definition, {"dataframe": self._frame(table)}

    def close(self) -> None:
        """Drops the temporary view GX ran the rules' SQL on, which would otherwise show in
        every database's listTables; the session stays up (dbt-spark's session method
        reuses it in this process)."""
        self.spark.catalog.dropTempView("tmp_view")


def _open_raw(engine: str, path: Path, context: Any) -> _Raw:
    if engine == "postgres":
        return _PostgresRaw(context)
    if engine == "spark":
        return _SparkRaw(context)
    return _DuckDBRaw(path, context)


class RawValidator:
    """One GX context and data source on the raw schema of the configured engine
    (`target`, default CHORUS_DBT_TARGET: duckdb, postgres or spark); validates raw tables
    one by one. Use as a context manager so the warehouse is released promptly.

    `db_path` is the DuckDB file (duckdb target only; the other targets read their own
    schema raw, which `chorus load` publishes there)."""

    def __init__(
        self,
        db_path: Path | None = None,
        now: datetime | None = None,
        target: str | None = None,
    ) -> None:
        self.engine = engines.target(target)
        self.path = Path(db_path or settings.duckdb_path()).expanduser().resolve()
        if now is not None and now.tzinfo is not None:
            now = now.astimezone(UTC).replace(tzinfo=None)
        self.now = now or utc_now()
        self.tolerance = future_tolerance()
        self.dialect = Dialect(self.engine)
        self._runs = 0
        self.context = _ephemeral_context()
        self.raw = _open_raw(self.engine, self.path, self.context)
        self.columns = self.raw.columns
        self.rejected = self.raw.rejected
        self.location = self.raw.location
        # duckdb: False when this process already held the file read-write (see
        # _open_catalog); the other engines' connections are read-only
        self.read_only: bool = getattr(self.raw, "read_only", True)

    def __enter__(self) -> RawValidator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.raw.close()

    def validate_table(self, table: str) -> TableResult:
        table = parse_table(table)
        started = time.perf_counter()
        if table not in self.columns:
            return TableResult(
                table,
                SKIPPED,
                reason=f"{RAW_SCHEMA}.{table} does not exist (not loaded)",
                seconds=time.perf_counter() - started,
            )
        ctx = SuiteContext(
            columns=frozenset(self.columns[table]),
            raw_tables=frozenset(self.columns),
            now=self.now,
            tolerance=self.tolerance,
            dialect=self.dialect,
        )
        try:
            checkpoint, parameters = self._checkpoint(table, ctx)
            outcome = checkpoint.run(batch_parameters=parameters)
        except Exception as exc:  # one broken suite must not hide the other tables
            result = TableResult(table, FAILED, notes=list(ctx.notes))
            reason = f"suite could not run: {_first_line(str(exc))}"
            result.failures.append(Failure("checkpoint", "error", None, reason))
        else:
            result = _table_result(table, outcome, ctx)
        if self.rejected:
            result.rejected_rows = self.rejected.get(table, 0)
        result.seconds = time.perf_counter() - started
        return result

    def _checkpoint(
        self, table: str, ctx: SuiteContext
    ) -> tuple[gx.Checkpoint, dict[str, Any] | None]:
        """data source -> table (or dataframe) asset -> whole-table batch -> suite ->
        validation definition -> checkpoint, all registered in the ephemeral context;
        with the batch parameters to run it with (Spark: the dataframe)."""
        self._runs += 1
        name = suite_name(table) if self._runs == 1 else f"{suite_name(table)}_{self._runs}"
        suite = self.context.suites.add(build_suite(table, ctx, name))
        batch, parameters = self.raw.batch(name, table)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[],
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": PARTIAL_UNEXPECTED,
                },
            )
        )
        return checkpoint, parameters


def validate(
    db_path: Path | None = None,
    tables: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
    target: str | None = None,
) -> ValidationReport:
    """Validate raw tables (default: all in the contract) of the configured target's
    schema raw (`target`, default CHORUS_DBT_TARGET; on duckdb the file at `db_path`,
    default settings.duckdb_path()). Tables not in schema raw are reported as skipped.
    `now` (naive UTC) anchors the future-time rules; default: the current time."""
    # the CLI's --table parsing: comma lists, trimmed, duplicates dropped, unknown names
    # named with the closest table
    names = parse_tables(list(tables or [])) or list(TABLES)
    started = time.perf_counter()
    with RawValidator(db_path, now, target) as validator:
        report = ValidationReport(
            validator.path, validator.now, validator.tolerance, location=validator.location
        )
        for name in names:
            report.tables.append(validator.validate_table(name))
    report.seconds = time.perf_counter() - started
    return report


def validate_table(
    db_path: Path | None,
    table: str,
    *,
    now: datetime | None = None,
    target: str | None = None,
) -> TableResult:
    """Validate one raw table (one Dagster asset check) on the configured target;
    `.metadata()` is for Dagster."""
    table = parse_table(table)  # an unknown name: UnknownTableError, before any work
    with RawValidator(db_path, now, target) as validator:
        return validator.validate_table(table)


# ---------------------------------------------------------------------------------------
# reading GX results


def _exception_message(info: Any) -> str | None:
    """GX puts a flat dict on expectation-level errors and a dict per metric otherwise."""
    if not isinstance(info, dict) or not info:
        return None
    if "raised_exception" in info:
        return (info.get("exception_message") or "error") if info["raised_exception"] else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "error"
    return None


def _table_result(table: str, outcome: Any, ctx: SuiteContext) -> TableResult:
    result = TableResult(table, PASSED, notes=list(ctx.notes))
    for suite_result in outcome.run_results.values():
        for er in suite_result.results:
            result.evaluated += 1
            config = er.expectation_config
            meta = dict(config.meta or {})
            rule = meta.get("rule", "custom")
            observed = er.result or {}
            if rule == ROW_COUNT and isinstance(observed.get("observed_value"), int):
                result.row_count = observed["observed_value"]
            error = _exception_message(er.exception_info)
            if er.success and not error:
                continue
            severity = getattr(config.severity, "value", config.severity) or CRITICAL
            text = (
                f"could not be evaluated: {_first_line(error)}"
                if error
                else _describe(rule, meta, observed, ctx)
            )
            result.failures.append(
                Failure(
                    expectation=config.type,
                    rule=rule,
                    column=meta.get("column"),
                    observed=text,
                    severity=str(severity),
                    description=config.description or "",
                )
            )
    if result.errors:
        result.status = FAILED
    return result


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return repr(shown)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "(" + ", ".join(_fmt(v) for v in value.values()) + ")"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def _values(values: Iterable[Any]) -> str:
    values = list(values)
    shown = ", ".join(_fmt(v) for v in values[:SHOWN_VALUES])
    return shown + (", …" if len(values) > SHOWN_VALUES else "")


def _partial_values(observed: dict) -> list[Any]:
    counts = observed.get("partial_unexpected_counts")
    if counts:
        return [c.get("value") for c in counts]
    seen: list[Any] = []
    for value in observed.get("partial_unexpected_list") or []:
        if value not in seen:
            seen.append(value)
    return seen


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _ago(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days >= 365:
        return _plural(int(days // 365), "year")
    if days >= 2:
        return _plural(int(days), "day")
    return _plural(max(int(delta.total_seconds() // 3600), 0), "hour")


def _bounds(meta_min: Any, meta_max: Any) -> str:
    if meta_min is not None and meta_max is not None:
        return f"outside {meta_min:g}..{meta_max:g}"
    if meta_min is not None:
        return f"below {meta_min:g}"
    return f"above {meta_max:g}"


def _describe(rule: str, meta: dict, observed: dict, ctx: SuiteContext) -> str:
    """One readable line for a failed expectation, by rule."""
    column = meta.get("column")
    unexpected = observed.get("unexpected_count") or 0
    rows = (observed.get("details") or {}).get("unexpected_rows") or []
    count = observed.get("observed_value")
    if rule == COLUMN_EXISTS:
        return "required column is missing"
    if rule == ROW_COUNT:
        return "table is empty"
    if rule == NOT_NULL:
        total = observed.get("element_count") or 0
        share = f" ({100 * unexpected / total:.2g}% of {total:,} rows)" if total else ""
        return f"{_plural(unexpected, 'null value')}{share}"
    if rule == UNIQUE_KEY:
        return (
            f"{_plural(unexpected, 'row')} share a duplicate key: "
            f"{_values(_partial_values(observed))}"
        )
    if rule == RANGE:
        return (
            f"{_plural(unexpected, 'value')} {_bounds(meta.get('min'), meta.get('max'))}: "
            f"{_values(_partial_values(observed))}"
        )
    if rule == ORDER:
        return f"{_plural(unexpected, 'row')} where {column} is before {meta.get('other')}"
    if rule in (ENUM, REFERENCE, FUTURE_TIME) or rows:
        return _describe_rows(rule, meta, int(count or 0), rows, ctx)
    if unexpected:
        return f"{_plural(unexpected, 'unexpected value')}: {_values(_partial_values(observed))}"
    return f"observed {_fmt(count)}"


def _describe_rows(rule: str, meta: dict, count: int, rows: list[dict], ctx: SuiteContext) -> str:
    """Query rules return either (value, n) per distinct bad value or one row per bad row;
    `count` is GX's row count of the query, `rows` its first rows."""
    column = meta.get("column")
    if rule == FUTURE_TIME and rows:
        latest, n = rows[0].get("value"), int(rows[0].get("n") or 0)
        hours = ctx.tolerance.total_seconds() / 3600
        ahead = f"{_ago(latest - ctx.now)} " if isinstance(latest, datetime) else ""
        return (
            f"max {column} {_fmt(latest)} is {ahead}in the future "
            f"({_plural(n, 'row')} beyond the {hours:g} h tolerance)"
        )
    if rows and "n" in rows[0]:
        total = sum(int(r["n"]) for r in rows)
        at_least = "at least " if count > len(rows) else ""
        rows_text = f"{at_least}{_plural(total, 'row')}"
        listed = ", ".join(f"{_fmt(r['value'])} ({int(r['n']):,})" for r in rows[:SHOWN_VALUES])
        listed += ", …" if count > SHOWN_VALUES else ""
        if rule == ENUM:
            return f"{rows_text} with {_plural(count, 'unknown value')}: {listed}"
        if rule == REFERENCE:
            return (
                f"{rows_text} {'references' if total == 1 else 'reference'} "
                f"{_plural(count, 'value')} missing from "
                f"{meta.get('parent')}: {listed}"
            )
        return f"{rows_text} with {_plural(count, 'value')} {meta.get('what', '')}: {listed}"
    what = meta.get("what") or "unexpected"
    values = [r.get("value") for r in rows]
    return f"{_plural(count, 'row')} {what}: e.g. {_values(values)}"


# ---------------------------------------------------------------------------------------
# rendering


def render(report: ValidationReport) -> Any:
    """A rich renderable for the CLI: one line per table, then every failure and warning."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    summary = Table(
        title=f"raw data quality (Great Expectations) — {report.source}",
        title_justify="left",
    )
    for name, justify in (
        ("table", "left"),
        ("result", "left"),
        ("rows", "right"),
        ("expectations", "right"),
        ("failed", "right"),
        ("warnings", "right"),
        ("seconds", "right"),
    ):
        summary.add_column(name, justify=justify)
    style = {PASSED: "green", FAILED: "bold red", SKIPPED: "yellow"}
    for t in report.tables:
        summary.add_row(
            t.table,
            Text(t.status if not t.reason else f"{t.status}: {t.reason}", style=style[t.status]),
            "" if t.row_count is None else f"{t.row_count:,}",
            f"{t.evaluated}",
            f"{t.failed}",
            f"{len(t.warnings)}",
            f"{t.seconds:.2f}",
        )
    parts: list[Any] = [summary]

    problems = [(t.table, f) for t in report.tables for f in t.failures]
    if problems:
        details = Table(title="failed expectations", title_justify="left")
        for name in ("table", "severity", "rule", "column", "observed"):
            details.add_column(name, overflow="fold")
        for table_name, f in sorted(problems, key=lambda p: (p[1].severity != CRITICAL, p[0])):
            details.add_row(
                table_name,
                Text(f.severity, style="red" if f.severity == CRITICAL else "yellow"),
                f.rule,
                f.column or "",
                f.observed,
            )
        parts.append(details)
    notes = [f"{t.table}: {n}" for t in report.tables for n in t.notes]
    parts.extend(Text(f"note: {n}", style="dim") for n in notes)

    passed, failed, skipped = (len(report.by_status(s)) for s in (PASSED, FAILED, SKIPPED))
    verdict = Text(
        f"{len(report.tables)} tables: {passed} passed, {failed} failed, {skipped} skipped; "
        f"{report.evaluated} expectations, {report.failed} failed "
        f"({report.seconds:.1f} s; future tolerance {_ago(report.tolerance)})",
        style="green" if report.success else "bold red",
    )
    parts.append(verdict)
    return Group(*parts)


__all__ = [
    "WARNING",
    "Failure",
    "RawValidator",
    "TableResult",
    "ValidationReport",
    "render",
    "validate",
    "validate_table",
]
