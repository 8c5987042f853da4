"""What every `chorus` command shares: the console, the one-line failure with a hint,
the command group that turns every expected failure into that line, the progress display
and the common options."""

from __future__ import annotations

import difflib
import os
import sys
import time
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
Vars = Annotated[
    str | None,
    typer.Option(
        "--vars",
        help="dbt vars as YAML or JSON, e.g. '{chorus_lifecycle_active_days: 45}' "
        "(the names are in the README's configuration table).",
    ),
]


def _set_target(value: str | None) -> str | None:
    """--target: the engine for this command and everything it runs (dbt included),
    through the same variable as the environment's default."""
    if value:
        from orchestration import engines

        os.environ["CHORUS_DBT_TARGET"] = engines.target(value)
    return value


Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Engine: duckdb, postgres or spark (default: $CHORUS_DBT_TARGET, else duckdb).",
        callback=_set_target,
        is_eager=True,
    ),
]


Tables = Annotated[
    list[str] | None,
    typer.Option(
        "--table", help="Only these raw tables (repeat the option or separate with commas)."
    ),
]


def plain(text: str, style: str | None = None) -> None:
    """One line as it is: no rich markup (a path or a value may hold [brackets]), no
    highlighting, no wrapping inserted (a query or a path must stay copyable)."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def fail(message: str, hint: str, code: int = 1) -> typer.Exit:
    console.print("[bold red]error:[/] ", end="")
    plain(message)
    console.print("[yellow]what to do:[/] ", end="")
    plain(hint)
    return typer.Exit(code)


def unbuilt(exc: Exception, models: str) -> typer.Exit | None:
    """The one-line error for a report that read a relation not built yet (`models`
    names what it needed), or None when `exc` is something else."""
    if "does not exist" in str(exc) or "Catalog Error" in str(exc):
        return fail(
            f"cannot read the {models}: {str(exc).splitlines()[0]}",
            "build them first: `chorus build` (or `chorus run`)",
        )
    return None


@contextmanager
def explaining(models: str, not_found_hint: str) -> Iterator[None]:
    """The expected failures of an explain report, each as the one-line error: a value
    that names nothing (ExplainError, with `not_found_hint`) and a warehouse without the
    relations the report reads (`models` names them)."""
    from orchestration.identity.explain import ExplainError

    try:
        yield
    except ExplainError as exc:
        raise fail(str(exc), exc.hint or not_found_hint) from None
    except Exception as exc:
        error = unbuilt(exc, models)
        if error is not None:
            raise error from None
        raise


class ChorusGroup(typer.core.TyperGroup):
    """The `chorus` command group: an expected failure raised anywhere below a command
    (warehouse.WarehouseError, DuckDB's lock conflict) becomes the one-line error; an
    unexpected one becomes one line too, saying it is a bug, with the traceback only
    when CHORUS_DEBUG=1."""

    def invoke(self, ctx):
        from orchestration import warehouse

        try:
            return super().invoke(ctx)
        except warehouse.WarehouseError as exc:
            raise fail(exc.message, exc.hint, exc.code) from None
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise  # usage errors and exits: typer (its own copy of click) prints them
        except KeyboardInterrupt:
            console.print("interrupted")
            raise typer.Exit(130) from None
        except OSError as exc:  # a path that is not there, not writable, a full disk
            detail = exc.strerror or str(exc)
            where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
            raise fail(
                f"{detail}{where}" if exc.strerror else str(exc),
                "check the path, its permissions and the free disk space, then run the "
                "command again",
            ) from None
        except Exception as exc:
            if warehouse.is_lock_error(exc):
                error = warehouse.busy_from(exc)
                raise fail(error.message, error.hint) from None
            if os.environ.get("CHORUS_DEBUG"):
                console.print_exception()
            raise fail(
                f"unexpected {type(exc).__name__}: {warehouse.first_line(str(exc))[:300]}",
                "this is a bug in Chorus, not in your data: re-run with CHORUS_DEBUG=1 "
                "to see the traceback, and report it with the command you ran",
            ) from None


def open_reader(db: Path | None, snapshot: bool = True, relations: list[str] | None = None):
    """A read-only DuckDB connection for a report: on the duckdb target warehouse.open_reader
    (saying on the console when it reads the snapshot because a writer holds the file);
    on postgres and spark, an in-memory copy of `relations` (engines.reader.local_copy)."""
    from orchestration import engines, warehouse

    if engines.target() != "duckdb":
        from orchestration.engines.reader import local_copy

        plain(f"note: reading {', '.join(relations or [])} from {engines.target()}", style="dim")
        return local_copy(relations or [])
    con, source = warehouse.open_reader(db, snapshot=snapshot)
    if source.note:
        plain(f"note: {source.note}", style="dim")
    return con


def parse_vars(text: str | None) -> dict:
    """--vars as dbt takes them (a YAML or JSON mapping); a name the project does not
    declare is a typo, not a silent no-op."""
    if not text:
        return {}
    import yaml

    from orchestration import settings

    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = None
    if not isinstance(parsed, dict):
        raise fail(
            f"--vars {text!r} is not a mapping",
            "pass YAML or JSON, e.g. --vars '{chorus_lifecycle_active_days: 45}'",
            2,
        )
    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    known = set((project or {}).get("vars") or {})
    for name in parsed:
        if str(name) not in known:
            close = difflib.get_close_matches(str(name), sorted(known), n=1)
            raise fail(
                f"--vars: the project has no var {name!r}"
                + (f" (did you mean {close[0]!r}?)" if close else ""),
                "see the dbt vars in the README's configuration table "
                "(dbt_project/dbt_project.yml declares them all)",
                2,
            )
    return parsed


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
    """Yield a callback(step, done, total) that drives one rich progress bar; without a
    terminal (CI, a pipe), plain progress lines instead, at most one every few seconds."""
    if not console.is_terminal:
        with _progress_lines(description) as update:
            yield update
        return
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


PROGRESS_LINE_SECONDS = 5.0


@contextmanager
def _progress_lines(description: str) -> Iterator[Callable[[str, int, int], None]]:
    started = time.monotonic()
    state = {"last": started, "done": 0}

    def update(step: str, done: int, total: int) -> None:
        state["done"] = done
        now = time.monotonic()
        if now - state["last"] < PROGRESS_LINE_SECONDS:
            return
        state["last"] = now
        count = f"{done:,}/{total:,}" if total else f"{done:,} done"
        plain(f"{description}: {count}, {now - started:.0f} s (now: {step})")

    yield update
    if state["done"]:
        plain(f"{description}: finished in {time.monotonic() - started:.1f} s")
