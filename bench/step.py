"""Run one pipeline step in this process and print its wall time and peak RSS as JSON.

Each step runs in a fresh interpreter (bench/run.py spawns it), so the peak RSS is that
step's own, not the maximum of everything before it."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

import yaml


def day_before(db: Path):
    """One day before the default as_of: the latest raw event time, ignoring times more
    than 24 hours ahead of the wall clock (macros/chorus_as_of.sql, var
    chorus_future_tolerance_hours at its default)."""
    from datetime import UTC, datetime, timedelta

    from orchestration.contract import TABLES
    from orchestration.settings import connect

    horizon = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=24)
    times = [
        f"select max({table.time_column}) from raw.{name} where {table.time_column} <= $horizon"
        for name, table in TABLES.items()
        if table.time_column
    ]
    con = connect(db, read_only=True)
    try:
        (latest,) = con.execute(
            f"select max(t) from ({' union all '.join(times)}) as times(t)",
            {"horizon": horizon},
        ).fetchall()[0]
    finally:
        con.close()
    return latest - timedelta(days=1)


def bench_vars(data_dir: Path, step_vars: dict) -> dict:
    """The vars of every dbt step, the same in every step so dbt's partial parse stays
    valid from one to the next (bench/run.py): no engagement lookback, and a fit period
    holding both days of the split (day 2 is a daily build, not the weekly refit); a
    step's own vars (`--vars` in its command) on top."""
    from datetime import datetime

    from tests.fixtures.engagement import fit_days_holding

    cut = datetime.fromisoformat(json.loads((data_dir / "split.json").read_text())["cut"])
    return {
        "chorus_engagement_lookback_hours": 0,
        "chorus_engagement_fit_days": fit_days_holding(cut, cut + timedelta(days=1)),
        **step_vars,
    }


def split(data_dir: Path) -> dict:
    """Split the generated exports in two loads, as a business's first load and the next
    day's: day1/ holds every row up to one day before the latest event, day2/ the rest
    (order lines go with their order; tables with no time go whole into day1/). The
    cut ignores times more than 24 hours ahead of the wall clock, as as_of does."""
    from datetime import UTC, datetime, timedelta

    import duckdb

    from orchestration.contract import TABLES

    def at(column: str) -> str:
        # exports may write times as text, with an offset; a time that does not parse
        # (a bad row the loader will reject) is null
        return f"cast(try_cast(cast({column} as varchar) as timestamptz) as timestamp)"

    horizon = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=24)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = {
        name: data_dir / f"{name}.parquet"
        for name in TABLES
        if (data_dir / f"{name}.parquet").exists()
    }
    (latest,) = con.execute(
        "select max(t) from ("
        + " union all ".join(
            f"select max({at(TABLES[name].time_column)}) as t from '{path}'"
            f" where {at(TABLES[name].time_column)} <= $horizon"
            for name, path in files.items()
            if TABLES[name].time_column
        )
        + ")",
        {"horizon": horizon},
    ).fetchall()[0]
    cut = latest - timedelta(days=1)
    at_cut = f"timestamp '{cut.isoformat(sep=' ')}'"
    rows = {"day1": 0, "day2": 0}
    for day in rows:
        (data_dir / day).mkdir(exist_ok=True)
    for name, path in files.items():
        column = TABLES[name].time_column
        if column:
            # a row whose time does not parse goes with the first load
            day1 = f"coalesce({at(column)} <= {at_cut}, true)"
            parts = {"day1": day1, "day2": f"not {day1}"}
        elif name == "order_items":
            orders = files["orders"]
            parts = {
                day: f"order_id in (select order_id from '{orders}' where {condition})"
                for day, condition in (
                    ("day1", f"coalesce({at('ordered_at')} <= {at_cut}, true)"),
                    ("day2", f"not coalesce({at('ordered_at')} <= {at_cut}, true)"),
                )
            }
        else:
            parts = {"day1": "true"}
        for day, condition in parts.items():
            relation = con.sql(f"select * from '{path}' where {condition}")
            rows[day] += relation.count("*").fetchall()[0][0]
            relation.write_parquet(str(data_dir / day / f"{name}.parquet"))
    # the cut, for the fit period every dbt step of the run passes (bench_vars)
    (data_dir / "split.json").write_text(json.dumps({"cut": cut.isoformat()}))
    return {"rows": rows["day1"] + rows["day2"], "rows_day2": rows["day2"], "cut": cut.isoformat()}


def _phases(results, invoked: float, returned: float) -> dict:
    """Where a dbt step's wall time went: dbt's start (importing dbt, parsing, connecting:
    the invocation to its first node), the models (first node started to last node
    finished), and dbt's end (closing the warehouse, whose checkpoint writes what the
    build logged)."""
    from datetime import UTC, datetime

    spans = [
        (timing.started_at, timing.completed_at)
        for result in results
        for timing in result.timing
        if timing.started_at and timing.completed_at
    ]
    if not spans:
        return {}
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    # the node timings are naive UTC, the step's clock perf_counter: the dbt end is the
    # wall time from the last node to the invocation's return
    since_last = (datetime.now(UTC).replace(tzinfo=None) - last).total_seconds()
    after = max(since_last - (time.perf_counter() - returned), 0.0)
    models = (last - first).total_seconds()
    return {
        "dbt_start": round(max(returned - invoked - models - after, 0.0), 2),
        "models": round(models, 2),
        "dbt_end": round(after, 2),
    }


def _engagement_batch(db: Path) -> dict:
    """The last engagement batch's mode and scope (after a build of the engagement
    models), for the report: was the daily build incremental, and for how many customers."""
    from orchestration.settings import connect

    con = connect(db, read_only=True)
    try:
        tables = {
            name
            for (name,) in con.sql(
                "select table_name from information_schema.tables"
                " where table_schema = 'intermediate'"
            ).fetchall()
        }
        if not {"int_engagement_batches", "int_engagement_scope"} <= tables:
            return {}
        mode, batch_id = con.sql(
            "select build_mode, batch_id from intermediate.int_engagement_batches"
            " where model_name = 'int_engagement_batches' order by batch_id desc limit 1"
        ).fetchall()[0]
        (scope,) = con.sql("select count(*) from intermediate.int_engagement_scope").fetchall()[0]
        return {"engagement_batch": batch_id, "engagement_mode": mode, "scope": scope}
    finally:
        con.close()


def main(step: str, data_dir: str, db: str, customers: int, days: int) -> dict:
    started = time.perf_counter()
    extra: dict = {}
    if step == "generate":
        from orchestration.sample_data import generate

        stats = generate(Path(data_dir), customers=customers, days=days, seed=42)
        extra["rows"] = sum(stats["rows"].values())
    elif step == "split":
        extra.update(split(Path(data_dir)))
    elif step.startswith("copy:"):
        # a copy of the warehouse as it is now, for a step to run on later
        import shutil

        shutil.copyfile(db, Path(db).with_name(step.partition(":")[2] + ".duckdb"))
    elif step.startswith("load"):
        # "load" loads every export; "load:day1" one folder of the split
        from orchestration.loader import load_directory

        folder = Path(data_dir) / step.partition(":")[2]
        summary = load_directory(folder, db_path=Path(db))
        extra["rows"] = summary.total_loaded
        extra["rejected"] = summary.total_rejected
    elif step.startswith(("dbt:", "dbt@day_before:", "dbt@")):
        from orchestration.dbt import run_dbt

        prefix, _, command = step.partition(":")
        if prefix.startswith("dbt@") and prefix != "dbt@day_before":
            # dbt@<copy>: on the copy of the warehouse that step copy:<copy> made
            db = str(Path(db).with_name(prefix[4:] + ".duckdb"))
        command, _, step_vars = command.partition(" --vars ")
        args = command.split()
        variables = bench_vars(Path(data_dir), yaml.safe_load(step_vars) if step_vars else {})
        if prefix == "dbt@day_before":
            # the build of the day before: as_of one day before the latest event, so the
            # next (default as_of) build has one day of new evidence, as a daily run does
            variables["chorus_as_of"] = day_before(Path(db)).isoformat()
        args += ["--vars", json.dumps(variables)]
        invoked = time.perf_counter()
        outcome = run_dbt(args, db_path=Path(db))
        returned = time.perf_counter()
        if not outcome.success:
            raise SystemExit(f"{step} failed: {outcome.failures or outcome.exception}")
        extra["nodes"] = sum(outcome.counts.values())
        extra["phases"] = _phases(outcome.result.result.results, invoked, returned)
        extra.update(_engagement_batch(Path(db)))
        # where the time went: each model's own time, slowest first (tests excluded)
        results = outcome.result.result.results
        extra["node_seconds"] = {
            result.node.name: round(result.execution_time, 2)
            for result in sorted(results, key=lambda r: -r.execution_time)
            if result.node.resource_type == "model"
        }
        # the data and unit tests' time together, when the step ran any
        tests = [r.execution_time for r in results if r.node.resource_type in ("test", "unit_test")]
        if tests:
            extra["test_seconds"] = round(sum(tests), 2)
    elif step == "networkx":
        # the reference: networkx components of exactly the edges the SQL resolved
        import networkx as nx

        from orchestration.settings import connect

        con = connect(Path(db), read_only=True)
        edges = con.sql("select node_id_a, node_id_b from intermediate.int_identity_edges")
        pairs = edges.fetchnumpy()
        con.close()
        loaded = time.perf_counter()
        graph = nx.Graph()
        graph.add_edges_from(
            zip(pairs["node_id_a"].tolist(), pairs["node_id_b"].tolist(), strict=True)
        )
        components = sum(1 for _ in nx.connected_components(graph))
        extra.update(
            edges=len(pairs["node_id_a"]),
            components_with_edges=components,
            seconds_excluding_read=round(time.perf_counter() - loaded, 2),
        )
    elif step == "score":
        # identity against the generator's ground truth (pairwise precision and recall)
        from orchestration.identity.report import score
        from orchestration.settings import connect

        con = connect(Path(db), read_only=True)
        try:
            result = score(con, Path(data_dir) / "_truth")
        finally:
            con.close()
        # "customers" is the size of the run in the results; the score's count (customers
        # holding a scored identifier) keeps its name of the earlier results, which also
        # counted each unresolved identifier as a customer (identifiers_unresolved now)
        result["predicted_customers"] = result.pop("customers_scored")
        extra.update(
            {
                key: round(value, 6) if isinstance(value, float) else value
                for key, value in result.items()
                if isinstance(value, int | float)
            }
        )
    elif step == "explain":
        # the analyst's questions at this size: the largest customer, and a shared email
        from orchestration.identity import explain
        from orchestration.settings import connect

        con = connect(Path(db), read_only=True)
        try:
            (largest,) = con.sql(
                "select customer_id from marts.customer_identifiers where customer_id is not"
                " null group by 1 order by count(*) desc, 1 limit 1"
            ).fetchall()[0]
            (shared,) = con.sql(
                "select identifier_value from marts.customer_identifiers where is_shared and"
                " identifier_type = 'email' order by identifier_value limit 1"
            ).fetchall()[0]
            timed = time.perf_counter()
            explained = explain.customer(con, largest)
            extra["customer_seconds"] = round(time.perf_counter() - timed, 2)
            timed = time.perf_counter()
            (value,) = explain.find(con, shared, "email")
            explain.limits(con, value)
            extra["shared_email_seconds"] = round(time.perf_counter() - timed, 2)
            extra["linking_records"] = len(explained.linking_records)
        finally:
            con.close()
    elif step == "identity-diff":
        # the dry run of a rule change: a full scratch build of identity beside the marts
        # and the comparison (here with the seeds unchanged: nothing may change)
        from orchestration.identity.diff import run

        report = run(Path(db))
        extra["changes"] = sum(report.counts.values())
        extra["identifiers"] = report.identifiers
    else:
        raise SystemExit(f"unknown step {step}")
    return {
        "step": step,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **extra,
    }


if __name__ == "__main__":
    step, data_dir, db, customers, days = sys.argv[1:6]
    print("BENCH " + json.dumps(main(step, data_dir, db, int(customers), int(days))))
