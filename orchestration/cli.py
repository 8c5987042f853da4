"""The `chorus` command line: generate sample data, load raw files, build the dbt project,
validate raw sources, or run everything with one printed summary.

Every long step shows progress; every failure says what to do next and exits non-zero.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration import settings
from orchestration.commands import dagster, identity
from orchestration.commands.common import AsOf, DbPath, console, fail, progress_bar

app = typer.Typer(
    help="Chorus: one decision layer for email, SMS, push, chat and paid media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
    from orchestration.dagster_events import record_load
    from orchestration.loader import ContractError, load_directory

    if not source.exists():
        raise fail(
            f"{source} does not exist",
            "run `chorus generate --out DIR` first, or pass --from with your export folder",
            2,
        )
    try:
        with progress_bar("load") as update:
            summary = load_directory(source, db_path=db, tables=tables, progress=update)
    except ContractError as exc:
        raise fail(
            str(exc), "fix the file's header (see SPEC input contract) and load again", 2
        ) from None
    record_load(summary)  # shows in the Dagster UI (orchestration/dagster_events.py)
    return summary


def do_build(as_of: str | None, select: str | None, full_refresh: bool, db: Path | None):
    from orchestration.dagster_events import record_build
    from orchestration.dbt import dbt_vars, run_dbt

    command = ["build"]
    if select:
        command += ["--select", select]
    if full_refresh:
        command.append("--full-refresh")
    done = {"n": 0}
    with progress_bar("dbt build") as update:

        def on_node(unique_id: str, status: str) -> None:
            done["n"] += 1
            update(unique_id.split(".", 2)[-1], done["n"], 0)

        outcome = run_dbt(command, vars=dbt_vars(as_of), db_path=db, on_node=on_node)
    if not outcome.success:
        for line in outcome.failures[:20]:
            console.print(f"  [red]x[/] {line}")
        if outcome.exception:
            console.print(f"  [red]{outcome.exception}[/]")
        raise fail(
            "dbt build failed",
            "read the failures above (full log: dbt_project/logs/dbt.log); fix the model or "
            "data and re-run `chorus build --select <node>+`",
        )
    record_build(outcome)  # shows in the Dagster UI (orchestration/dagster_events.py)
    return outcome


def do_validate(db: Path | None, tables: list[str] | None):
    from expectations.runner import validate
    from orchestration.dagster_events import record_validation

    with console.status("validating raw sources with Great Expectations"):
        report = validate(db_path=db, tables=tables)
    record_validation(report)  # the gx_suite checks in the Dagster UI
    return report


# ---------------------------------------------------------------------------------------
# printing


def print_load(summary) -> None:
    from orchestration.loader import ROW_COLUMNS

    table = Table(title="raw load (read = inserted + updated + unchanged + rejected)")
    for col in ROW_COLUMNS:
        table.add_column(col, justify="left" if col == "table" else "right")
    for row in summary.as_rows():
        table.add_row(
            *[
                f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
                for v in row
            ]
        )
    console.print(table)
    reasons = summary.rejects_by_reason()
    if reasons:
        from orchestration.contract import REJECT_REASONS

        present = [r for r in REJECT_REASONS if any(k[1] == r for k in reasons)]
        rejects = Table(title="rejected rows by reason (raw.rejected_rows)")
        rejects.add_column("table")
        for reason in present:
            rejects.add_column(reason, justify="right")
        for table_name in sorted({t for t, _ in reasons}):
            rejects.add_row(table_name, *[f"{reasons.get((table_name, r), 0):,}" for r in present])
        console.print(rejects)


def print_models(db: Path | None) -> None:
    con = settings.connect(db, read_only=True)
    try:
        rows = con.sql(
            """
            select table_schema, table_name from information_schema.tables
            where table_schema in ('seeds', 'staging', 'intermediate', 'marts')
            order by 1, 2
            """
        ).fetchall()
        table = Table(title="models")
        table.add_column("relation")
        table.add_column("rows", justify="right")
        for schema, name in rows:
            count = con.sql(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            table.add_row(f"{schema}.{name}", f"{count:,}")
        console.print(table)
    finally:
        con.close()


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
    days: Annotated[int, typer.Option(help="Days of history.", min=1)] = 90,
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
    """Write a believable omnichannel sample business (every raw table, seeds, ground truth)."""
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
    table: Annotated[list[str] | None, typer.Option(help="Only these tables.")] = None,
    db: DbPath = None,
) -> None:
    """Load DIR/<table>.csv|.parquet (or DIR/<table>/) into schema raw; rejects are kept."""
    summary = do_load(from_ or settings.data_dir(), db, table)
    print_load(summary)


@app.command()
def build(
    as_of: AsOf = None,
    select: Annotated[str | None, typer.Option(help="dbt selection, e.g. staging+.")] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
    db: DbPath = None,
) -> None:
    """dbt build: seeds, models and their tests (unit and data)."""
    outcome = do_build(parse_as_of(as_of), select, full_refresh, db)
    if not outcome.counts:
        raise fail(
            f"nothing matched the selection {select!r}",
            "check the node names: `uv run dbt ls --project-dir dbt_project "
            "--profiles-dir dbt_project`",
            2,
        )
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.counts.items()))
    console.print(f"dbt build ok in {outcome.seconds:.1f} s ({counts})")


@app.command()
def validate(
    table: Annotated[list[str] | None, typer.Option(help="Only these raw tables.")] = None,
    db: DbPath = None,
) -> None:
    """Run the Great Expectations suites on the raw sources; exit 1 on any failure."""
    from expectations.runner import render

    report = do_validate(db, table)
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
    customers: Annotated[int, typer.Option(help="With --generate: persons.")] = 20_000,
    days: Annotated[int, typer.Option(help="With --generate: days.")] = 90,
    seed: Annotated[int, typer.Option(help="With --generate: seed.")] = 42,
    db: DbPath = None,
) -> None:
    """Everything: [generate] -> load -> validate -> build, then a summary."""
    source = from_ or settings.data_dir()
    as_of_value = parse_as_of(as_of)
    report = RunReport()

    if generate_data:
        started = time.perf_counter()
        stats = do_generate(source, customers, days, seed, "parquet")
        report.add("generate", started, f"{sum(stats['rows'].values()):,} rows")

    started = time.perf_counter()
    summary = do_load(source, db, None)
    report.add(
        "load", started, f"{summary.total_loaded:,} loaded, {summary.total_rejected:,} rejected"
    )

    started = time.perf_counter()
    validation = do_validate(db, None)
    report.add("validate", started, "passed" if validation.success else "FAILED")

    started = time.perf_counter()
    outcome = None
    if validation.success:
        outcome = do_build(as_of_value, None, False, db)
        report.add(
            "build", started, ", ".join(f"{n} {s}" for s, n in sorted(outcome.counts.items()))
        )

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
