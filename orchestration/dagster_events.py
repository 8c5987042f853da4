"""The CLI's loads, builds and validations, recorded in the Dagster instance.

`chorus load`, `chorus build`, `chorus validate` and `chorus run` call the loader, dbt and
Great Expectations directly, not through Dagster. So that the UI does not call those
tables "Never materialized", the CLI reports what it did as runless asset events:
one AssetMaterialization per raw table loaded (with the loader's counts) and per dbt
model, seed or snapshot that the build succeeded on, and one AssetCheckEvaluation per GX
suite run, each tagged `source: chorus <command>`. The asset keys are the code
location's: raw/<table>, and for dbt nodes the same translator on the manifest dbt has
just written.

Recording never fails a command: any error prints one warning line and the command
carries on. CHORUS_DAGSTER_RECORD=0 turns it off. The instance is $DAGSTER_HOME (default
.dagster_home/, created with orchestration/dagster.yaml when missing).
"""

from __future__ import annotations

import shutil
import sys
import time
import warnings
from pathlib import Path

from orchestration import settings

TEMPLATE = Path(__file__).with_name("dagster.yaml")
BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot")

# what the last record_* call did (for tests and the measurements in DECISIONS)
last: dict[str, float | int] = {"events": 0, "seconds": 0.0}


def ensure_dagster_home(home: Path | None = None) -> Path:
    """The instance folder, created with Chorus' dagster.yaml if it has none."""
    home = home or settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and not (home / "dagster.yml").exists():
        shutil.copyfile(TEMPLATE, home / "dagster.yaml")
    return home


def _source() -> str:
    """`chorus <command>` of the running CLI command (load, build, run, ...): the current
    command context of typer's bundled click (or of click itself, for older typer)."""
    name = None
    for module in ("typer._click.globals", "click.globals"):
        try:
            from importlib import import_module

            context = import_module(module).get_current_context(silent=True)
        except Exception:
            continue
        if context is not None:
            name = context.info_name
            break
    return f"chorus {name}" if name and name != "chorus" else "chorus"


def _warn(what: str, exc: BaseException) -> None:
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    sys.stderr.write(
        f"warning: could not record this {what} in the Dagster instance at "
        f"{settings.dagster_home()} ({detail}); the {what} itself is done. "
        "CHORUS_DAGSTER_RECORD=0 stops recording.\n"
    )
    sys.stderr.flush()


def _record(what: str, make_events) -> int:
    """Build the events with make_events() and report them; never raises."""
    last.update(events=0, seconds=0.0)
    if not settings.dagster_record():
        return 0
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Dagster's beta/supersession notices
            events = make_events()
            if events:
                from dagster import DagsterInstance

                home = ensure_dagster_home()
                with DagsterInstance.from_config(str(home)) as instance:
                    # one call per event: no batch API for runless events (and SQLite
                    # storage stores a batch one event at a time anyway)
                    for event in events:
                        instance.report_runless_asset_event(event)
    except Exception as exc:
        _warn(what, exc)
        return 0
    last.update(events=len(events), seconds=time.perf_counter() - started)
    return len(events)


# ---------------------------------------------------------------------------------------
# the events


def load_events(summary, source: str | None = None) -> list:
    """One materialization per raw table the load read files for, and raw.rejected_rows."""
    import dagster as dg

    from orchestration.assets.keys import REJECTED_ROWS_KEY, raw_key, rejected_rows_metadata

    source = source or _source()
    extra = {"source": source, "data_dir": str(summary.source_dir)}
    description = f"Loaded by `{source}` (outside Dagster)."
    events = [
        dg.AssetMaterialization(
            asset_key=raw_key(table),
            description=description,
            metadata={**result.metadata(), **extra},
        )
        for table, result in summary.tables.items()
    ]
    if events:
        events.append(
            dg.AssetMaterialization(
                asset_key=REJECTED_ROWS_KEY,
                description=description,
                metadata={**rejected_rows_metadata(summary), **extra, "load_id": summary.load_id},
            )
        )
    return events


def _value(status) -> str:
    return str(getattr(status, "value", status))


def _load_manifest(path: Path) -> dict:
    try:
        import orjson  # dagster-dbt's dependency: about 3x faster than json here

        return orjson.loads(path.read_bytes())
    except ImportError:  # pragma: no cover
        import json

        return json.loads(path.read_text())


def build_events(outcome, source: str | None = None, manifest_path: Path | None = None) -> list:
    """One materialization per dbt model, seed or snapshot the build succeeded on, keyed
    by the code location's translator on the manifest this build wrote."""
    import dagster as dg

    from orchestration.assets.translator import ChorusDbtTranslator

    results = getattr(getattr(outcome, "result", None), "result", None)
    built = [
        r
        for r in getattr(results, "results", None) or []
        if _value(r.status) == "success" and _value(r.node.resource_type) in BUILT_RESOURCE_TYPES
    ]
    if not built:
        return []
    source = source or _source()
    manifest = _load_manifest(manifest_path or settings.dbt_target_dir() / "manifest.json")
    translator = ChorusDbtTranslator()
    events = []
    for r in built:
        unique_id = r.node.unique_id
        metadata: dict = {
            "source": source,
            "dbt_command": outcome.command,
            "unique_id": unique_id,
            "execution_seconds": round(float(r.execution_time or 0.0), 3),
        }
        rows = (getattr(r, "adapter_response", None) or {}).get("rows_affected")
        if isinstance(rows, int) and rows >= 0:
            metadata["rows_affected"] = rows
        events.append(
            dg.AssetMaterialization(
                asset_key=translator.get_asset_spec(manifest, unique_id, None).key,
                description=f"Built by `{source}` (dbt {outcome.command}, outside Dagster).",
                metadata=metadata,
            )
        )
    return events


def validation_events(report, source: str | None = None) -> list:
    """One evaluation of the `gx_suite` check per raw table validated (a skipped table
    passes, as in the code location's check)."""
    import dagster as dg

    from orchestration.assets.keys import GX_CHECK_NAME, raw_key

    source = source or _source()
    return [
        dg.AssetCheckEvaluation(
            asset_key=raw_key(result.table),
            check_name=GX_CHECK_NAME,
            passed=bool(result.success),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**result.metadata(), "source": source},
        )
        for result in report.tables
    ]


# ---------------------------------------------------------------------------------------
# what the CLI calls


def record_load(summary) -> int:
    """After a successful `load_directory`: the raw tables it loaded. Returns events sent."""
    return _record("load", lambda: load_events(summary))


def record_build(outcome) -> int:
    """After a dbt build (a DbtOutcome): the models, seeds and snapshots that succeeded."""
    return _record("build", lambda: build_events(outcome))


def record_validation(report) -> int:
    """After a GX validation (a ValidationReport): the gx_suite check of each raw table."""
    return _record("validation", lambda: validation_events(report))
