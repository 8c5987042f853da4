"""The `chorus` command line: generate sample data, load raw files, build the dbt project,
validate raw sources, or run everything with one printed summary.

Every long step shows progress; every failure says what to do next and exits non-zero.
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration import engines, settings, warehouse
from orchestration.commands import dagster, explain, identity, sql
from orchestration.commands.common import (
    AsOf,
    ChorusGroup,
    DbPath,
    Tables,
    Target,
    Vars,
    console,
    fail,
    parse_vars,
    progress_bar,
    table_names,
)
from orchestration.commands.load_report import print_load
from orchestration.dbt import describe_outcome

# pyspark (the spark group) warns on import under pandas 3, and Great Expectations imports
# it whenever it is installed: the notice says nothing about the user's command
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")

app = typer.Typer(
    cls=ChorusGroup,
    help="Chorus: one decision layer for email, SMS, push, chat and paid media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: rich markup would eat "[generate]" and type every flag "<bool>"
    rich_markup_mode=None,
)


def parse_as_of(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise fail(
            f"--as-of {value!r} is not an ISO-8601 timestamp",
            "pass e.g. --as-of 2026-10-31T12:00:00Z (no offset means UTC)",
            2,
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(sep=" ")


# ---------------------------------------------------------------------------------------
# steps (each returns what the summary needs; the commands below print them)


@dataclass
class Step:
    name: str
    seconds: float
    detail: str = ""


@dataclass
class RunReport:
    steps: list[Step] = field(default_factory=list)

    def add(self, name: str, started: float, detail: str = "") -> None:
        self.steps.append(Step(name, time.perf_counter() - started, detail))


def do_generate(
    out: Path, customers: int, days: int, seed: int, fmt: str, end: str | None = None
) -> dict:
    """end None: the generator's own default window end (sample_data.DEFAULT_END)."""
    from orchestration.sample_data import generate

    options: dict = {}
    if end is not None:
        end_at = datetime.fromisoformat(end.replace("Z", "+00:00"))
        options["end"] = end_at if end_at.tzinfo else end_at.replace(tzinfo=UTC)
    with progress_bar("generate") as update:
        return generate(
            out, customers=customers, days=days, seed=seed, fmt=fmt, progress=update, **options
        )


def do_load(source: Path, db: Path | None, tables: list[str] | None):
    import duckdb

    from orchestration.dagster_events import record_load
    from orchestration.loader import ContractError, SampleMismatchError, load_directory

    if not source.exists():
        raise fail(
            f"{source} does not exist",
            "run `chorus generate --out DIR` first, or pass --from with your export folder",
            2,
        )
    if not source.is_dir():
        raise fail(
            f"{source} is a file, not a folder",
            "pass the folder holding the exports (<table>.csv, <table>.parquet or "
            "<table>/ folders): `chorus load --from DIR`",
            2,
        )
    # every target's load is checked in the DuckDB file first (loader/publish.py)
    target_file = warehouse.check_writable(db, must_exist=False)
    try:
        with progress_bar("load") as update:
            summary = load_directory(source, db_path=db, tables=tables, progress=update)
    except duckdb.InvalidInputException as exc:  # a file DuckDB's reader cannot parse
        raise fail(
            f"a file in {source} could not be read: {warehouse.first_line(exc)}",
            "check the file's format (CSV with one kind of line ending, or Parquet) and "
            "load again; rows that break the contract become rejects, but a file that "
            "cannot be parsed stops the load",
            2,
        ) from None
    except ContractError as exc:
        raise fail(
            str(exc), "fix the file's header (see docs/input-contract.md) and load again", 2
        ) from None
    except SampleMismatchError as exc:
        raise fail(str(exc), exc.hint.format(warehouse=target_file), 2) from None
    if engines.target() == "duckdb":
        warehouse.publish_snapshot(db)
    record_load(summary)  # shows in the Dagster UI (orchestration/dagster_events.py)
    return summary


def check_raw_tables(db: Path | None, dbt_vars_: dict) -> None:
    """Before dbt: the raw tables the sources read are there (else dbt prints a screen of
    errors per model); on DuckDB also that the file exists and nobody else holds it; on
    PostgreSQL that the server answers."""
    from orchestration.contract import TABLES

    schema = str(dbt_vars_.get("chorus_raw_schema", "raw"))
    if engines.target() == "duckdb":
        target = warehouse.check_writable(db)
        con = settings.connect(target, read_only=True)
        try:
            present = {
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = ?",
                    [schema],
                ).fetchall()
            }
        finally:
            con.close()
    else:
        from orchestration.engines.reader import Native

        native = Native()
        try:
            present = {r.name for r in native.relations((schema,))}
        finally:
            native.close()
    absent = [name for name in TABLES if name not in present]
    if len(absent) == len(TABLES):
        raise fail(
            f"the warehouse {target} has no raw tables in schema {schema!r}",
            "load data first: `chorus load --from DIR` (or `chorus run --generate` for "
            "sample data)",
            2,
        )
    if absent:
        raise fail(
            f"schema {schema!r} lacks raw tables: {', '.join(absent)}",
            "load them (`chorus load --from DIR` creates every contract table, empty when "
            "DIR has no file for it)",
            2,
        )


def do_build(
    as_of: str | None,
    select: str | None,
    full_refresh: bool,
    db: Path | None,
    extra_vars: dict | None = None,
    exclude: str | None = None,
):
    from orchestration.dagster_events import record_build
    from orchestration.dbt import dbt_vars, run_dbt

    variables = dbt_vars(as_of, extra_vars)
    check_raw_tables(db, variables)
    command = ["build"]
    if select:
        command += ["--select", select]
    if exclude:
        command += ["--exclude", exclude]
    if full_refresh:
        command.append("--full-refresh")
    done = {"n": 0}
    with progress_bar("dbt build") as update:

        def on_node(unique_id: str, status: str) -> None:
            done["n"] += 1
            update(unique_id.split(".", 2)[-1], done["n"], 0)

        outcome = run_dbt(command, vars=variables, db_path=db, on_node=on_node)
    if not outcome.success:
        text = " ".join([outcome.exception or "", *outcome.failures])
        if warehouse.is_lock_error(text):
            error = warehouse.busy_from(text, db)
            raise fail(error.message, error.hint)
        for line in outcome.failures[:20]:
            console.print(f"  [red]x[/] {_first_lines(line)}", highlight=False)
        if len(outcome.failures) > 20:
            console.print(f"  ... and {len(outcome.failures) - 20} more")
        if outcome.exception:
            console.print(f"  [red]{_first_lines(outcome.exception)}[/]", highlight=False)
        raise fail(
            "dbt build failed",
            "read the failures above (the full log: dbt_project/logs/dbt.log); a failing "
            "test names the rule and the rows that break it. Fix the model, seed or data, "
            "then re-run `chorus build --select <node>+`",
        )
    if engines.target() == "duckdb":
        warehouse.publish_snapshot(db)
    record_build(outcome)  # shows in the Dagster UI (orchestration/dagster_events.py)
    return outcome


def _first_lines(text: str, n: int = 3) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return "\n    ".join(lines[:n]) + (" ..." if len(lines) > n else "")


def do_validate(db: Path | None, tables: list[str] | None):
    from expectations.runner import validate
    from orchestration.dagster_events import record_validation

    if engines.target() == "duckdb":  # postgres and spark: their own schema raw
        warehouse.check_readable(db)
    with console.status("validating raw sources with Great Expectations"):
        report = validate(db_path=db, tables=tables)
    record_validation(report)  # the gx_suite checks in the Dagster UI
    return report


# ---------------------------------------------------------------------------------------
# printing


def print_models(db: Path | None) -> None:
    """The public marts first, with their rows and what one row is; then one line per
    other layer (seeds, staging views, intermediate work tables)."""
    if engines.target() != "duckdb":
        _print_layers(*_native_layers())
        return
    con, _ = warehouse.open_reader(db)  # the summary of a run: its note would only repeat
    try:
        rows = con.execute(
            """
            select t.table_schema, t.table_name, coalesce(d.comment, v.comment)
            from information_schema.tables as t
            left join duckdb_tables() as d
                on d.schema_name = t.table_schema and d.table_name = t.table_name
            left join duckdb_views() as v
                on v.schema_name = t.table_schema and v.view_name = t.table_name
            where t.table_schema in ('seeds', 'staging', 'intermediate', 'marts')
            order by 1, 2
            """
        ).fetchall()
        marts_rows = []
        layers: dict[str, list[str]] = {}
        for schema, name, comment in rows:
            if schema != "marts":
                layers.setdefault(schema, []).append(name)
                continue
            count = con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            marts_rows.append((f"{schema}.{name}", count, comment))
    finally:
        con.close()
    _print_layers(marts_rows, layers)


def _native_layers() -> tuple[list[tuple[str, int, str | None]], dict[str, list[str]]]:
    from orchestration.engines.reader import Native

    native = Native()
    try:
        marts_rows, layers = [], {}
        for relation in native.relations():
            if relation.schema == "marts":
                count = native.count(relation.schema, relation.name)
                marts_rows.append((f"marts.{relation.name}", count, relation.comment))
            else:
                layers.setdefault(relation.schema, []).append(relation.name)
        return marts_rows, layers
    finally:
        native.close()


def _print_layers(
    marts_rows: list[tuple[str, int, str | None]], layers: dict[str, list[str]]
) -> None:
    marts = Table(title=f"public marts on {engines.target()} (query them: chorus sql)")
    marts.add_column("table")
    marts.add_column("rows", justify="right")
    marts.add_column("one row per")
    for name, count, comment in marts_rows:
        marts.add_row(name, f"{count:,}", _grain(comment))
    console.print(marts)
    words = {
        "seeds": "seed tables (rules and configuration)",
        "staging": "staging views (typed, normalized raw data)",
        "intermediate": "intermediate work tables",
    }
    for schema in ("seeds", "staging", "intermediate"):
        if layers.get(schema):
            console.print(f"  also built: {len(layers[schema])} {words[schema]} in schema {schema}")


def _grain(comment: str | None) -> str:
    """'One row per resolved customer ...' -> 'resolved customer ...', first sentence;
    'One row per (customer, channel): ...' -> '(customer, channel)'."""
    if not comment:
        return ""
    text = " ".join(comment.split())
    for prefix in ("One row per ", "one row per "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    # a grain written as a key in parentheses is the grain, not an aside
    key = re.match(r"\([^)]*\)", text)
    head, text = (key.group(0), text[key.end() :]) if key else ("", text)
    text = re.sub(r"\s*\([^)]*\)", "", text)  # drop asides
    sentence = head + re.split(r"\. |: |, ", text)[0]
    return sentence if len(sentence) <= 70 else sentence[:67] + "..."


def print_steps(report: RunReport) -> None:
    table = Table(title="time per step")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("detail")
    for step in report.steps:
        table.add_row(step.name, f"{step.seconds:.1f}", step.detail)
    table.add_row("[bold]total", f"[bold]{sum(s.seconds for s in report.steps):.1f}", "")
    console.print(table)


# ---------------------------------------------------------------------------------------
# commands


@app.command()
def generate(
    customers: Annotated[int, typer.Option(help="Number of persons.", min=1)] = 20_000,
    days: Annotated[int, typer.Option(help="Days of history.", min=1)] = settings.SAMPLE_DAYS,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 42,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default $CHORUS_DATA_DIR).")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    end: Annotated[
        str | None,
        typer.Option(help="End of the window (exclusive), UTC. Default: 2026-11-01."),
    ] = None,
) -> None:
    """Write a sample business.

    Every raw table of the input contract, the seeds' content and ground truth, for a
    believable omnichannel business; the same seed gives the same files."""
    if format not in ("parquet", "csv"):
        raise fail(f"--format {format!r} is not supported", "use --format parquet or csv", 2)
    target = out or settings.data_dir()
    started = time.perf_counter()
    stats = do_generate(target, customers, days, seed, format, end)
    table = Table(title=f"generated {customers:,} customers x {days} days -> {target}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("bad rows", justify="right")
    for name, rows in stats["rows"].items():
        table.add_row(name, f"{rows:,}", f"{stats.get('bad_rows', {}).get(name, 0):,}")
    console.print(table)
    console.print(f"done in {time.perf_counter() - started:.1f} s")


@app.command()
def load(
    from_: Annotated[Path | None, typer.Option("--from", help="Folder of raw files.")] = None,
    table: Tables = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Load raw files into the warehouse.

    DIR/<table>.csv|.parquet (or DIR/<table>/) into schema raw; rows that break the
    contract go to raw.rejected_rows with the reason."""
    summary = do_load(from_ or settings.data_dir(), db, table_names(table))
    print_load(summary)


@app.command()
def build(
    as_of: AsOf = None,
    select: Annotated[str | None, typer.Option(help="dbt selection, e.g. staging+.")] = None,
    exclude: Annotated[
        str | None, typer.Option(help="dbt nodes to leave out, e.g. resource_type:unit_test.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
    vars_: Vars = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Build the dbt project.

    dbt build: seeds, models and their tests (unit and data), as of --as-of."""
    outcome = do_build(
        parse_as_of(as_of), select, full_refresh, db, parse_vars(vars_), exclude=exclude
    )
    if not outcome.counts:
        raise fail(
            f"nothing matched the selection {select!r}"
            + (f" without {exclude!r}" if exclude else ""),
            "check the node names: `uv run dbt ls --project-dir dbt_project "
            "--profiles-dir dbt_project`",
            2,
        )
    console.print(f"dbt build ok in {outcome.seconds:.1f} s: {describe_outcome(outcome)}")


@app.command()
def validate(
    table: Tables = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Check the raw data.

    Runs the Great Expectations suites on the raw sources; exits 1 on any failure."""
    from expectations.runner import render

    report = do_validate(db, table_names(table))
    console.print(render(report))
    if not report.success:
        raise fail(
            "raw data failed validation",
            "inspect the failing rows in raw.<table>; fix the source export and reload",
        )


@app.command()
def run(
    from_: Annotated[Path | None, typer.Option("--from", help="Folder of raw files.")] = None,
    as_of: AsOf = None,
    generate_data: Annotated[
        bool, typer.Option("--generate/--no-generate", help="Generate sample data first.")
    ] = False,
    customers: Annotated[int, typer.Option(help="With --generate: persons.", min=1)] = 20_000,
    days: Annotated[int, typer.Option(help="With --generate: days.", min=1)] = settings.SAMPLE_DAYS,
    seed: Annotated[int, typer.Option(help="With --generate: seed.")] = 42,
    vars_: Vars = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Run everything, then print a summary.

    [generate] -> load -> validate -> build, then the summary."""
    source = from_ or settings.data_dir()
    as_of_value = parse_as_of(as_of)
    extra_vars = parse_vars(vars_)
    if generate_data:
        warehouse.check_writable(db, must_exist=False)  # a busy file fails before generating
    if engines.target() == "postgres":  # so does a server that cannot be reached
        from orchestration.engines import postgres

        postgres.connect().close()
    report = RunReport()

    if generate_data:
        started = time.perf_counter()
        stats = do_generate(source, customers, days, seed, "parquet")
        report.add("generate", started, f"{sum(stats['rows'].values()):,} rows")

    started = time.perf_counter()
    summary = do_load(source, db, None)
    report.add("load", started, summary.outcome())

    started = time.perf_counter()
    validation = do_validate(db, None)
    report.add("validate", started, "passed" if validation.success else "FAILED")

    started = time.perf_counter()
    outcome = None
    if validation.success:
        outcome = do_build(as_of_value, None, False, db, extra_vars)
        report.add("build", started, describe_outcome(outcome))

    console.rule("Chorus summary")
    print_load(summary)
    from expectations.runner import render

    console.print(render(validation))
    if outcome is not None:
        print_models(db)
    print_steps(report)
    if not validation.success:
        raise fail(
            "raw data failed validation, so the build did not run",
            "see the failed expectations above; fix the export and re-run `chorus run`",
        )


# the identity command group (orchestration/commands/identity.py)
app.command("identity-report")(identity.report)
app.command("identity-explain")(identity.explain)
app.command("identity-diff")(identity.diff)
app.command("sql")(sql.sql)
app.command("explain")(explain.explain)
app.command("dagster-run")(dagster.run_job)


def main() -> None:
    """Console-script entry point.

    Exits with os._exit after flushing: DuckDB 2.0's nanobind bindings print a screenful
    of spurious "leaked instances" warnings at interpreter shutdown when Great
    Expectations and duckdb-engine are loaded (a known upstream issue); every connection
    is closed explicitly before this point, so skipping interpreter teardown loses nothing.
    """
    import os
    import sys

    try:
        app()  # standalone mode: prints usage errors and raises SystemExit
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    import atexit

    atexit._run_exitfuncs()  # logging, multiprocessing cleanup: everything but teardown
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
