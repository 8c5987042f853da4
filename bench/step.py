"""Run one pipeline step in this process and print its wall time and peak RSS as JSON.

Each step runs in a fresh interpreter (bench/run.py spawns it), so the peak RSS is that
step's own, not the maximum of everything before it."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


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


def main(step: str, data_dir: str, db: str, customers: int, days: int) -> dict:
    started = time.perf_counter()
    extra: dict = {}
    if step == "generate":
        from orchestration.sample_data import generate

        stats = generate(Path(data_dir), customers=customers, days=days, seed=42)
        extra["rows"] = sum(stats["rows"].values())
    elif step == "load":
        from orchestration.loader import load_directory

        summary = load_directory(Path(data_dir), db_path=Path(db))
        extra["rows"] = summary.total_loaded
        extra["rejected"] = summary.total_rejected
    elif step.startswith(("dbt:", "dbt@day_before:")):
        from orchestration.dbt import run_dbt

        prefix, _, command = step.partition(":")
        args = command.split()
        if prefix == "dbt@day_before":
            # the build of the day before: as_of one day before the latest event, so the
            # next (default as_of) build has one day of new evidence, as a daily run does
            args += ["--vars", f"{{chorus_as_of: '{day_before(Path(db)).isoformat()}'}}"]
        outcome = run_dbt(args, db_path=Path(db))
        if not outcome.success:
            raise SystemExit(f"{step} failed: {outcome.failures or outcome.exception}")
        extra["nodes"] = sum(outcome.counts.values())
        # where the time went: each model's own time, slowest first (tests excluded)
        extra["node_seconds"] = {
            result.node.name: round(result.execution_time, 2)
            for result in sorted(outcome.result.result.results, key=lambda r: -r.execution_time)
            if result.node.resource_type == "model"
        }
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
