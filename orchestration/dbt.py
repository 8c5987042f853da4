"""Running dbt from Python: one helper that the CLI and the tests share, so every
invocation points at the same project, profiles and warehouse and passes `chorus_as_of`
the same way. Dagster uses dagster-dbt's DbtCliResource instead (orchestration/resources.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings


@dataclass
class DbtOutcome:
    success: bool
    command: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes
    by_kind: dict[tuple[str, str], int] = field(default_factory=dict)  # (type, status) -> n
    failures: list[str] = field(default_factory=list)  # "model.x: message"
    exception: str | None = None
    result: object = None  # the dbtRunnerResult, for callers that need node details


# how the summary names dbt's node types and statuses (dbt says "pass" and "success")
_KINDS = {
    "model": ("model", "models"),
    "seed": ("seed", "seeds"),
    "snapshot": ("snapshot", "snapshots"),
    "test": ("data test", "data tests"),
    "unit_test": ("unit test", "unit tests"),
}
_DONE = {"success": "built", "pass": "passed", "warn": "warned", "skipped": "skipped"}


def describe_outcome(outcome: DbtOutcome) -> str:
    """'24 models and 5 seeds built; 206 data tests and 16 unit tests passed', then any
    warnings, failures and skips, in words a reader of the summary knows."""
    phrases: dict[str, list[str]] = {}
    for (kind, status), n in sorted(outcome.by_kind.items()):
        one, many = _KINDS.get(kind, (kind, f"{kind}s"))
        verb = _DONE.get(status, "failed" if status in ("error", "fail") else status)
        if kind == "seed" and verb == "built":
            verb = "loaded"
        phrases.setdefault(verb, []).append(f"{n:,} {one if n == 1 else many}")
    order = ["built", "loaded", "passed", "warned", "failed", "skipped"]
    verbs = sorted(phrases, key=lambda v: order.index(v) if v in order else len(order))
    return "; ".join(f"{' and '.join(phrases[v])} {v}" for v in verbs) or "nothing ran"


def dbt_vars(as_of: str | None = None, extra: dict | None = None) -> dict:
    out: dict = dict(extra or {})
    if as_of:
        out["chorus_as_of"] = as_of
    return out


def dbt_args(
    command: list[str],
    vars: dict | None = None,
    work_dir: Path | None = None,
    project_dir: Path | None = None,
) -> list[str]:
    """project_dir: a copy of the project to run instead of dbt_project/ (identity-diff
    runs one with edited seeds); profiles always come from dbt_project/."""
    args = [
        *command,
        # the CLI shows its own progress; dbt's full log still goes to <target>/../logs
        "--quiet",
        "--project-dir",
        str(project_dir or settings.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(settings.DBT_PROJECT_DIR),
        "--target",
        settings.dbt_target(),
    ]
    if command[0] in ("build", "test") and "--indirect-selection" not in command:
        # a selection runs the tests it can build, not every test touching a selected
        # node: dbt's default (eager) would also run a test of an unselected model whose
        # table does not exist (journey_steps' test of campaigns in `--select
        # +customers`)
        args += ["--indirect-selection", "buildable"]
    if work_dir is not None:  # separate target/ and logs/ (tests running side by side)
        args += ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    if vars:
        args += ["--vars", json.dumps(vars)]
    return args


def release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB handle open after an in-process run; close it so this
    process can open the same file again (DuckDB refuses a second, differently configured
    handle to one file within a process)."""
    import gc

    if settings.dbt_target() == "duckdb":
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()
        gc.collect()


def run_dbt(
    command: list[str],
    vars: dict | None = None,
    db_path: Path | None = None,
    on_node: Callable[[str, str], None] | None = None,
    work_dir: Path | None = None,
    project_dir: Path | None = None,
) -> DbtOutcome:
    """Run one dbt command in-process (dbtRunner) and summarise node results.

    on_node(unique_id, status) is called as each node finishes, for progress display.
    """
    import time

    from dbt.cli.main import dbtRunner

    previous = os.environ.get("CHORUS_DUCKDB_PATH")
    settings.export_for_dbt(db_path)  # the paths and threads profiles.yml reads

    def callback(event) -> None:
        if on_node is None or event.info.name != "NodeFinished":
            return
        node = event.data.node_info
        on_node(node.unique_id, node.node_status)

    started = time.perf_counter()
    try:
        result = dbtRunner(callbacks=[callback]).invoke(
            dbt_args(command, vars, work_dir, project_dir)
        )
    finally:
        release_duckdb()
        if previous is None:
            os.environ.pop("CHORUS_DUCKDB_PATH", None)
        else:
            os.environ["CHORUS_DUCKDB_PATH"] = previous
    outcome = DbtOutcome(
        success=bool(result.success),
        command=" ".join(command),
        seconds=time.perf_counter() - started,
        exception=str(result.exception) if result.exception else None,
        result=result,
    )
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        outcome.counts[status] = outcome.counts.get(status, 0) + 1
        node = getattr(node_result, "node", None)  # run-operation results have none
        kind = (str(getattr(node, "resource_type", "operation")), status)
        outcome.by_kind[kind] = outcome.by_kind.get(kind, 0) + 1
        if status not in ("success", "pass", "skipped", "warn"):
            name = node.unique_id if node is not None else " ".join(command)
            outcome.failures.append(f"{name}: {node_result.message}")
    return outcome
