"""The Dagster code location and the command line around it: Definitions load with the
whole graph wired (raw -> dbt) under the location name `chorus`; `chorus dagster-run`
runs the refresh job against a temporary warehouse and instance, prints progress rather
than Dagster's debug log, and the run, its materializations and checks are in the
instance; the CLI's own loads and builds are recorded there as runless materializations
under the code location's asset keys; a recording that cannot be made is one warning."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.contract import TABLES
from orchestration.settings import REPO_ROOT

runner = CliRunner()
RUN_LINE = re.compile(r"run ([0-9a-f-]{36}) (SUCCESS|FAILURE)")


def test_definitions_load_with_full_graph():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for table in TABLES:
        assert f"raw/{table}" in keys
    assert "staging/stg_web__events" in keys
    # staging reads the raw asset (the translator maps dbt sources onto raw/<table>)
    parents = graph.get(dg.AssetKey(["staging", "stg_web__events"])).parent_keys
    assert dg.AssetKey(["raw", "web_events"]) in parents
    assert defs.resolve_job_def("chorus_refresh_job") is not None
    assert defs.resolve_schedule_def("chorus_refresh_schedule").cron_schedule == "0 6 * * *"
    checks = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert {f"raw/{t}" for t in TABLES} <= checks


def test_workspace_names_the_code_location_chorus():
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    origins = location_origins_from_yaml_paths([str(REPO_ROOT / "workspace.yaml")])
    assert [origin.location_name for origin in origins] == ["chorus"]
    target = origins[0].loadable_target_origin
    assert target.module_name == "orchestration.definitions"
    import importlib

    assert isinstance(importlib.import_module(target.module_name).defs, dg.Definitions)


def test_recorded_dbt_keys_are_the_code_locations():
    """The CLI names dbt nodes with the code location's translator: every model and seed
    in the manifest maps onto an asset the code location has."""
    from orchestration.assets.translator import ChorusDbtTranslator
    from orchestration.dagster_events import _load_manifest
    from orchestration.definitions import defs
    from orchestration.resources import chorus_dbt_project

    manifest = _load_manifest(chorus_dbt_project.manifest_path)
    translator = ChorusDbtTranslator()
    built = [u for u, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")]
    keys = {translator.get_asset_spec(manifest, u, None).key for u in built}
    assert dg.AssetKey(["marts", "customers"]) in keys
    assert keys <= set(defs.resolve_asset_graph().get_all_asset_keys())


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


@pytest.fixture(scope="module")
def dagster_run(tiny_data, tmp_path_factory) -> SimpleNamespace:
    """`chorus dagster-run` once on the tiny business, into its own warehouse and instance."""
    work = tmp_path_factory.mktemp("dagster_run")
    db, home = work / "chorus.duckdb", work / "dagster_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("CHORUS_DUCKDB_PATH", str(db))
        mp.setenv("COLUMNS", "200")
        result = runner.invoke(app, ["dagster-run", "--from", str(tiny_data)])
    return SimpleNamespace(db=db, home=home, result=result)


@pytest.mark.slow
def test_dagster_run_prints_progress_and_is_recorded(dagster_run):
    from orchestration.settings import connect

    out = dagster_run.result.output
    assert dagster_run.result.exit_code == 0, out
    # one line per asset materialized and per step, and a few of its own: never dbt's or
    # Dagster's logs
    materialized = sum(line.lstrip().startswith("materialized ") for line in out.splitlines())
    assert len(out.splitlines()) <= materialized + 30, out
    assert "DEBUG" not in out and "Traceback" not in out
    for line in ("materialized raw/web_events (", "materialized marts/customers", "ok      raw_"):
        assert line in out
    assert "see it in the UI: make ui" in out
    run_id, status = RUN_LINE.search(out).groups()
    assert status == "SUCCESS"

    with _instance(dagster_run.home) as instance:
        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == "chorus_refresh_job"
        assert run.tags["chorus/duckdb_path"] == str(dagster_run.db)
        for key in [["raw", t] for t in TABLES] + [["staging", "stg_crm__contacts"]]:
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None and event.run_id == run_id, key
        evaluations = [
            entry.dagster_event.event_specific_data
            for entry in instance.all_logs(
                run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
    gx = [e for e in evaluations if e.check_name == "gx_suite"]
    assert {e.asset_key for e in gx} == {dg.AssetKey(["raw", t]) for t in TABLES}
    assert all(e.passed for e in evaluations), [e.asset_key for e in evaluations if not e.passed]
    assert f"{len(evaluations):,} checks passed, 0 failed" in out

    con = connect(dagster_run.db, read_only=True)
    try:
        loaded = con.sql("select count(*) from raw.web_events").fetchall()[0][0]
        staged = con.sql("select count(*) from staging.stg_web__events").fetchall()[0][0]
    finally:
        con.close()
    assert loaded > 0 and staged == loaded


@pytest.mark.slow
def test_cli_load_and_build_are_recorded_as_runless_materializations(
    dagster_run, tiny_data, tmp_path, monkeypatch
):
    """On the warehouse dagster-run built: reload one table and rebuild one model through
    the CLI, into a fresh instance that only the CLI writes to."""
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CHORUS_DAGSTER_RECORD", "1")
    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(dagster_run.db))
    load = runner.invoke(app, ["load", "--from", str(tiny_data), "--table", "web_events"])
    assert load.exit_code == 0, load.output
    build = runner.invoke(app, ["build", "--select", "customers"])
    assert build.exit_code == 0, build.output
    assert "warning" not in load.output + build.output

    assert (home / "dagster.yaml").read_text() == (
        REPO_ROOT / "orchestration" / "dagster.yaml"
    ).read_text()
    with _instance(home) as instance:
        raw = instance.get_latest_materialization_event(dg.AssetKey(["raw", "web_events"]))
        customers = instance.get_latest_materialization_event(dg.AssetKey(["marts", "customers"]))
        not_built = instance.get_latest_materialization_event(
            dg.AssetKey(["marts", "customer_identifiers"])
        )
        assert instance.get_runs() == []  # reported events, no runs
    assert raw.run_id == "" and customers.run_id == ""
    raw_md = raw.asset_materialization.metadata
    assert raw_md["source"].value == "chorus load"
    assert raw_md["read"].value > 0 and raw_md["read"].value == raw_md["unchanged"].value + (
        raw_md["rejected"].value
    )
    built_md = customers.asset_materialization.metadata
    assert built_md["source"].value == "chorus build"
    assert built_md["unique_id"].value == "model.chorus.customers"
    assert not_built is None  # only what the build ran is recorded


def test_recording_never_fails_a_command(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(tmp_path / "chorus.duckdb"))
    not_a_folder = tmp_path / "not_a_folder"
    not_a_folder.write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(not_a_folder))
    monkeypatch.setenv("CHORUS_DAGSTER_RECORD", "1")
    result = runner.invoke(app, ["load", "--from", str(tiny_data), "--table", "orders"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "could not record this load" in warnings[0]

    off = tmp_path / "off"
    monkeypatch.setenv("DAGSTER_HOME", str(off))
    monkeypatch.setenv("CHORUS_DAGSTER_RECORD", "0")
    quiet = runner.invoke(app, ["load", "--from", str(tiny_data), "--table", "orders"])
    assert quiet.exit_code == 0 and "warning" not in quiet.output
    assert not off.exists()


def test_dagster_run_without_raw_files_fails_at_the_raw_step(tmp_path, monkeypatch):
    empty = tmp_path / "exports"
    empty.mkdir()
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(tmp_path / "chorus.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["dagster-run", "--from", str(empty)])
    out = result.output
    assert result.exit_code == 1, out
    assert "error: the run failed at step raw_load: no raw files under" in out
    assert "Traceback" not in out and "DEBUG" not in out
    assert "skipped chorus_dbt_assets" in out
    run_id, status = RUN_LINE.search(out).groups()
    assert status == "FAILURE"
    with _instance(home) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
