"""What every `chorus` command shares: the console, the one-line failure with a hint,
the progress bar and the common options."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

# Piped output (CI logs, `| tee`) gets a readable width instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute state as of this ISO-8601 timestamp (dbt var chorus_as_of). "
        "Default: the latest event time in the raw data.",
    ),
]
DbPath = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB warehouse file (default: $CHORUS_DUCKDB_PATH)."),
]


Tables = Annotated[
    list[str] | None,
    typer.Option(
        "--table", help="Only these raw tables (repeat the option or separate with commas)."
    ),
]


def fail(message: str, hint: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    console.print(f"[yellow]what to do:[/] {hint}")
    return typer.Exit(code)


def table_names(values: list[str] | None) -> list[str] | None:
    """The --table values as raw table names (None: every table); an unknown name is a
    one-line error (exit 2) naming it and the closest table, never a traceback."""
    from orchestration.contract import UnknownTableError, parse_tables

    try:
        return parse_tables(values)
    except UnknownTableError as exc:
        raise fail(
            str(exc),
            "pass table names from that list: --table orders --table products, or "
            "--table orders,products",
            2,
        ) from None


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a callback(step, done, total) that drives one rich progress bar."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=f"{description}: {step}", completed=done, total=total)

        yield update
