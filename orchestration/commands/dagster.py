"""`chorus dagster-run`: run a Dagster job of the code location from the command line,
in this process, recorded in the Dagster instance ($DAGSTER_HOME) so it shows in the UI,
printing one line per asset materialized and per step finished instead of Dagster's
debug log.

Dagster's console logger is turned off for the run; what is printed comes from the
run's own events as the instance stores them. dbt's output (which dagster-dbt echoes to
stdout) and anything else the steps print go to $DAGSTER_HOME/chorus-runs/<run id>.log; the
full event log is the run's page in the UI.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from orchestration import settings, warehouse
from orchestration.commands.common import DbPath, Target, console, fail

DEFAULT_JOB = "chorus_refresh_job"
NOT_EXECUTED = re.compile(r"Dependencies for step (\S+) (?:failed|were not executed)")


def _error_text(error) -> str:
    """The first line of what went wrong, from a SerializableErrorInfo, skipping Dagster's
    "Error occurred while executing op ..." wrapper."""
    while (
        error is not None
        and error.cause is not None
        and "Error occurred while" in (error.message or "")
    ):
        error = error.cause
    if error is None:
        return "unknown error"
    text = (error.message or "").strip().splitlines()
    return text[0] if text else error.cls_name or "unknown error"


def _failure_text(data) -> str:
    """One line for a STEP_FAILURE: a dg.Failure's description, else the error."""
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        return " ".join(user.description.split())
    return _error_text(getattr(data, "error", None))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class Progress:
    """Receives the run's events (instance.add_event_listener) and prints plain lines."""

    def __init__(self, write) -> None:
        self.write = write
        self.materialized: list[str] = []
        self.checks_passed = 0
        self.checks_failed: list[str] = []
        self.checks_warned: list[str] = []
        self.failed_steps: list[tuple[str, str]] = []
        self.skipped_steps: list[str] = []
        self.run_failure: str | None = None
        self._step: dict[str, dict[str, int]] = {}

    def _counts(self, step: str | None) -> dict[str, int]:
        return self._step.setdefault(step or "", {"assets": 0, "passed": 0, "failed": 0})

    def __call__(self, entry) -> None:
        try:
            self._handle(entry)
        except Exception as exc:  # printing must never break the run
            self.write(f"  (could not print an event: {exc})")

    def _handle(self, entry) -> None:
        from dagster import DagsterEventType

        event = entry.dagster_event
        if event is None:  # a log message from a step: only warnings and errors
            import logging

            message = entry.user_message or ""
            not_run = NOT_EXECUTED.match(message)
            if not_run:  # the engine's "Dependencies for step X failed ... Not executing."
                self.skipped_steps.append(not_run.group(1))
                self.write(f"skipped {not_run.group(1)} (a step it needs did not succeed)")
            elif entry.level >= logging.WARNING and message:
                self.write(f"  warning: {message}")
            return
        kind = event.event_type
        step = event.step_key
        if kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            self.materialized.append(key)
            self._counts(step)["assets"] += 1
            md = materialization.metadata
            extra = ""
            if "read" in md and "rejected" in md:
                extra = f" ({md['read'].value:,} read, {md['rejected'].value:,} rejected)"
            self.write(f"  materialized {key}{extra}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
            if evaluation.passed:
                self.checks_passed += 1
                self._counts(step)["passed"] += 1
            elif str(getattr(evaluation.severity, "value", evaluation.severity)) == "WARN":
                self.checks_warned.append(name)
                self.write(f"  check warned: {name}")
            else:
                self.checks_failed.append(name)
                self._counts(step)["failed"] += 1
                self.write(f"  check FAILED: {name}")
        elif kind == DagsterEventType.STEP_SUCCESS:
            counts = self._counts(step)
            seconds = (event.event_specific_data.duration_ms or 0) / 1000
            parts = [
                _plural(counts["assets"], "asset"),
                _plural(counts["passed"], "check") + " passed",
                f"{counts['failed']} failed",
            ]
            shown = [p for p, n in zip(parts, counts.values(), strict=True) if n]
            detail = f" ({', '.join(shown)})" if shown else ""
            self.write(f"ok      {step} in {seconds:.1f} s{detail}")
        elif kind == DagsterEventType.STEP_FAILURE:
            reason = _failure_text(event.event_specific_data)
            self.failed_steps.append((step or "?", reason))
            self.write(f"FAILED  {step}: {reason}")
        elif kind == DagsterEventType.STEP_SKIPPED:
            self.skipped_steps.append(step or "?")
            self.write(f"skipped {step} (what it needs did not materialize)")
        elif kind == DagsterEventType.RUN_FAILURE:
            data = event.event_specific_data
            error = getattr(data, "error", None)
            self.run_failure = _error_text(error) if error is not None else event.message


def _terminal():
    """Where progress goes while _quiet() holds descriptors 1 and 2: a copy of the
    terminal's descriptor, or sys.stdout itself when it has none (a test runner's
    buffer, which _quiet leaves alone)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return sys.stdout
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding=sys.stdout.encoding or "utf-8")


@contextlib.contextmanager
def _quiet(log_path: Path):
    """Send everything the steps print (dbt's log lines, warnings) to log_path, at the
    Python level and the file-descriptor level (subprocesses, C libraries)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log_path, "a", buffering=1) as log:
        saved = []
        try:
            for fd in (1, 2):
                try:
                    saved.append((fd, os.dup(fd)))
                    os.dup2(log.fileno(), fd)
                except OSError:  # no such descriptor (an embedded interpreter)
                    pass
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield
        finally:
            log.flush()
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)


def run_job(
    job: Annotated[str, typer.Option(help="The Dagster job to run.")] = DEFAULT_JOB,
    from_: Annotated[
        Path | None,
        typer.Option("--from", help="Folder of raw files (default: $CHORUS_DATA_DIR)."),
    ] = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Run a Dagster job (default chorus_refresh_job) here, recorded in $DAGSTER_HOME so it
    shows in the UI; prints one line per asset and step, then a summary."""
    from orchestration.dagster_events import ensure_dagster_home

    home = ensure_dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)  # DagsterInstance.get() reads it
    data_dir = (from_ or settings.data_dir()).expanduser().resolve()
    db_path = (db or settings.duckdb_path()).expanduser().resolve()

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dagster's beta/supersession notices
        import dagster as dg

        from orchestration.definitions import build_definitions

        defs = build_definitions(duckdb_path=db_path, data_dir=data_dir)
        jobs = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
        if job not in jobs:
            raise fail(f"no job {job!r} in the code location", f"jobs: {', '.join(jobs)}", 2)
        job_def = defs.resolve_job_def(job)

    # fail before the run on a busy warehouse file (every target loads through it) or a
    # server that cannot be reached
    warehouse.check_writable(db_path, must_exist=False)
    if settings.dbt_target() == "postgres":
        from orchestration.engines import postgres

        postgres.connect().close()
    run_id = str(uuid.uuid4())
    log_path = home / "chorus-runs" / f"{run_id}.log"
    out = _terminal()

    def write(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    progress = Progress(write)
    write(f"dagster-run {job}: run {run_id}")
    write(
        f"  target {settings.dbt_target()}, DuckDB {db_path}, raw files {data_dir}, instance {home}"
    )
    started = time.perf_counter()
    try:
        with dg.DagsterInstance.get() as instance:
            instance.add_event_listener(run_id, progress)
            with _quiet(log_path), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = job_def.execute_in_process(
                    instance=instance,
                    run_id=run_id,
                    raise_on_error=False,  # a failed step is reported below, not raised
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                    tags={
                        "chorus/launched_by": "chorus dagster-run",
                        "chorus/target": settings.dbt_target(),
                        "chorus/duckdb_path": str(db_path),
                        "chorus/data_dir": str(data_dir),
                    },
                )
            run = instance.get_run_by_id(run_id)
    finally:
        if out is not sys.stdout:
            out.close()
    seconds = time.perf_counter() - started
    status = run.status.value if run is not None else ("SUCCESS" if result.success else "FAILURE")

    checks = _plural(progress.checks_passed, "check") + " passed"
    checks += f", {len(progress.checks_failed)} failed"
    if progress.checks_warned:
        checks += f", {len(progress.checks_warned)} warned"
    console.print(
        f"run {run_id} {status} in {seconds:.1f} s: "
        f"{_plural(len(progress.materialized), 'asset')} materialized, {checks}",
        highlight=False,
    )
    console.print(
        f"see it in the UI: make ui, then http://localhost:3000/runs/{run_id}", highlight=False
    )
    if not result.success:
        if progress.failed_steps:
            step, reason = progress.failed_steps[0]
            message = f"the run failed at step {step}: {reason}"
        else:
            message = f"the run failed: {progress.run_failure or 'see the run in the UI'}"
        raise fail(
            message,
            f"the step's full log is the run's page in the UI (make ui -> Runs -> {run_id[:8]}); "
            f"what the steps printed (dbt's log) is in {log_path}",
        )
    if settings.dbt_target() == "duckdb":
        warehouse.publish_snapshot(db_path)  # readers beside the next writer see this run
