"""`make bench-engines`: the same business loaded and built on DuckDB, PostgreSQL and
Spark, at each size, in one run; times and ratios to DuckDB.

Sizes from BENCH_ENGINE_SIZES (default 20000,200000), days from BENCH_DAYS (90), engines
from BENCH_ENGINES (default duckdb,postgres,spark). Each engine starts empty (a new
DuckDB file, a new PostgreSQL database on a local server, a new Spark folder); each step
is the real `chorus` command in its own process:

- load: `chorus load --target T` (checked in DuckDB, then copied to the target);
- build: `chorus build --target T --select "resource_type:seed resource_type:model
  resource_type:test" --exclude resource_type:unit_test`: what a refresh builds and
  checks (seeds, every model, every data test). dbt's unit tests are left out: they
  test SQL on fixtures, not data, take the same time at any size, and on Spark alone
  take minutes (DECISIONS.md, "Spark in CI").

Results go to bench/results/engines-latest.json and a markdown table on stdout (copied
to BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.lock import bench_dir, exclusive

ROOT = Path(__file__).resolve().parent.parent
# dbt selects a model's unit tests with the model, so they are excluded by name
REFRESH = ["--select", "resource_type:seed resource_type:model resource_type:test"]
REFRESH += ["--exclude", "resource_type:unit_test"]


def _chorus(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"chorus {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds


def _postgres_database(server, name: str) -> dict[str, str]:
    from orchestration.engines import local_postgres

    env = server.env()
    con = local_postgres.admin(server)
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    con.close()
    return {**env, "CHORUS_PG_DBNAME": name}


def _dbt_times(work: Path) -> dict:
    """dbt's own view of the build just run: its elapsed time, the summed node times
    per resource type and the slowest nodes (kept beside the engine's folder)."""
    source = ROOT / "dbt_project" / "target" / "run_results.json"
    kept = work / "run_results.json"
    shutil.copyfile(source, kept)
    results = json.loads(kept.read_text())
    per_type: dict[str, float] = {}
    nodes = []
    for r in results["results"]:
        kind = r["unique_id"].split(".")[0]
        per_type[kind] = per_type.get(kind, 0.0) + r["execution_time"]
        nodes.append((r["execution_time"], r["unique_id"]))
    nodes.sort(reverse=True)
    return {
        "dbt_elapsed_s": round(results["elapsed_time"], 1),
        "node_s_by_type": {k: round(v, 1) for k, v in sorted(per_type.items())},
        "slowest_nodes": [{"node": n, "s": round(t, 1)} for t, n in nodes[:5]],
    }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_ENGINE_SIZES", "20000,200000").split(",")]
    days = int(os.environ.get("BENCH_DAYS", "90"))
    engines = os.environ.get("BENCH_ENGINES", "duckdb,postgres,spark").split(",")
    base = bench_dir().resolve() / "engines"
    base.mkdir(parents=True, exist_ok=True)
    common = {"CHORUS_DAGSTER_RECORD": "0", "CHORUS_SNAPSHOT": "0"}
    server = None
    if "postgres" in engines:
        from orchestration.engines import local_postgres

        server = local_postgres.start(base / "postgres")
    results = []
    try:
        for size in sizes:
            data = base / f"data_{size}"
            if not (data / "orders.parquet").exists():
                shutil.rmtree(data, ignore_errors=True)
                _chorus(
                    ["generate", "--customers", str(size), "--days", str(days), "--out", str(data)],
                    common,
                )
            for engine in engines:
                work = base / f"{engine}_{size}"
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir(parents=True)
                env = {
                    **common,
                    "CHORUS_DBT_TARGET": engine,
                    "CHORUS_DUCKDB_PATH": str(work / "chorus.duckdb"),
                    "CHORUS_SPARK_DIR": str(work / "spark"),
                }
                if engine == "postgres":
                    env.update(_postgres_database(server, f"bench_{size}"))
                load = _chorus(["load", "--from", str(data)], env)
                build = _chorus(["build", *REFRESH], env)
                row = {
                    "customers": size,
                    "engine": engine,
                    "load_s": load,
                    "build_s": build,
                    **_dbt_times(work),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        if server is not None:
            from orchestration.engines import local_postgres

            local_postgres.stop(base / "postgres")
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "command": "make bench-engines",
        "days": days,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    (ROOT / "bench" / "results" / "engines-latest.json").write_text(json.dumps(out, indent=2))
    print(markdown(results))


def markdown(results: list[dict]) -> str:
    lines = [
        "| customers | engine | load (s) | build (s) | build / DuckDB |",
        "|---:|---|---:|---:|---:|",
    ]
    duck = {r["customers"]: r["build_s"] for r in results if r["engine"] == "duckdb"}
    for r in results:
        ratio = r["build_s"] / duck[r["customers"]] if r["customers"] in duck else float("nan")
        lines.append(
            f"| {r['customers']:,} | {r['engine']} | {r['load_s']:.1f} | {r['build_s']:.1f} "
            f"| {ratio:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    with exclusive("make bench-engines"):
        main()
