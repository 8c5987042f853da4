"""`make bench`: generate -> load -> dbt builds at several sizes, one step per process.

Sizes from BENCH_SIZES (default 20000,200000,1000000), days from BENCH_DAYS (90). Results
go to bench/results/latest.json and a markdown table on stdout (copied to BENCHMARKS.md).

BENCH_BASELINE=<git ref> also runs the identity steps of that commit on the same raw
data, loaded into a warehouse of its own, in the same run: a before/after comparison
on one machine, one data set (the code under test generates the data).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.lock import bench_dir, exclusive

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = (
    "run --select path:models/intermediate/identity/int_identity_* customer_identifiers"
    " identity_merges"
)
# the engagement domain and the customer models (orders resolved, profiles, the
# customers mart) in one invocation: its time per model is in node_seconds
ENGAGEMENT = "run --select tag:engagement tag:customers"
# Every dbt step passes the same vars, so dbt's partial parse stays valid from one step
# to the next (other vars make it parse the whole project again, 5-10 s): no lookback
# (day 2's previous load is the first one, 89 days of rows loaded minutes earlier; a
# business's previous load is yesterday's, which the default window of 6 hours re-reads
# whole at little cost), and a fit period holding both days (bench/step.py
# fit_days_holding), so day 2 is a day of the week and not the weekly refit, which the
# step `dbt@refit:` measures on a copy.
STEPS = [
    "generate",
    # two loads: everything up to one day before the latest event, then that last day
    "split",
    "load:day1",
    "dbt:seed",
    # day 1: staging (views and their tests), a full identity batch, the engagement
    # domain and customers built whole
    "dbt:build --select staging",
    "dbt:" + IDENTITY,
    "dbt:" + ENGAGEMENT,
    # day 2: the next day's rows arrive; copies of the warehouse keep this state for the
    # whole daily build and for the refit below
    "load:day2",
    "copy:daily",
    "copy:refit",
    # the daily run, one part at a time: staging views, an incremental identity batch
    # that reads the last day's evidence, the engagement domain and customers (an
    # incremental engagement batch)
    "dbt:run --select staging",
    "dbt:" + IDENTITY,
    "dbt:" + ENGAGEMENT,
    # the day's send queue (audiences, candidates, decisions; make bench-decisioning
    # compares it with the siloed baseline)
    "dbt:run --select tag:decisioning",
    # the same day as the weekly refit: identity and staging as above, then the
    # engagement domain with var chorus_engagement_refit (fits and rewrites everyone)
    "dbt@refit:run --select staging",
    "dbt@refit:" + IDENTITY,
    "dbt@refit:" + ENGAGEMENT + " --vars {chorus_engagement_refit: true}",
    # the whole daily build as a user runs it (`chorus build`: every model, seed and
    # test) in one invocation, on the copy
    "dbt@daily:build",
    # networkx on exactly the edges the SQL resolved
    "networkx",
    # quality against the ground truth; the analyst's tools at this size
    "score",
    "explain",
    "identity-diff",
]
# the identity steps of BENCH_BASELINE, on a copy of the raw data loaded above
BASELINE_STEPS = [
    "dbt:seed",
    "dbt@day_before:build --select staging",
    "dbt@day_before:" + IDENTITY,
    "dbt:run --select staging",
    "dbt:" + IDENTITY,
]


def run_step(
    step: str, data_dir: Path, db: Path, customers: int, days: int, cwd: Path = ROOT
) -> dict:
    """One step in a fresh interpreter; `cwd` is the checkout whose code runs it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.step",
            step,
            str(data_dir),
            str(db),
            str(customers),
            str(days),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise SystemExit(f"step {step} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def machine() -> str:
    """The machine a benchmark ran on, for its results: architecture, cores, memory,
    Python."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "20000,200000,1000000").split(",")]
    days = int(os.environ.get("BENCH_DAYS", "90"))
    base = bench_dir()
    results = {
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench  (BENCH_SIZES=" + ",".join(map(str, sizes)) + f" BENCH_DAYS={days})",
        "runs": [],
    }
    baseline_ref = os.environ.get("BENCH_BASELINE")
    baseline = _worktree(baseline_ref, base) if baseline_ref else None
    for customers in sizes:
        data_dir, db = base / str(customers), base / str(customers) / "chorus.duckdb"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        for step in STEPS:
            result = run_step(step, data_dir, db, customers, days)
            result["customers"] = customers
            results["runs"].append(result)
            print(json.dumps(result), flush=True)
        (data_dir / "daily.duckdb").unlink(missing_ok=True)
        if baseline:
            # the same raw rows, loaded by the code under test into a warehouse of its own
            for step in ("load:day1", "load:day2"):
                run_step(step, data_dir, data_dir / "baseline.duckdb", customers, days)
            for step in BASELINE_STEPS:
                result = run_step(
                    step, data_dir, data_dir / "baseline.duckdb", customers, days, baseline
                )
                result.update(customers=customers, baseline=baseline_ref)
                result["step"] = f"baseline {baseline_ref}: {step}"
                results["runs"].append(result)
                print(json.dumps(result), flush=True)
            (data_dir / "baseline.duckdb").unlink()
    if baseline:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"\nMachine: {results['machine']}\nCommand: `{results['command']}`\n")
    print("| customers | step | seconds | peak RSS (MiB) | rows |")
    print("|---:|---|---:|---:|---:|")
    for r in results["runs"]:
        rows = r.get("rows", r.get("nodes", r.get("edges", "")))
        print(
            f"| {r['customers']:,} | {r['step']} | {r['seconds']} | {r['peak_rss_mb']:,} | "
            f"{rows:,} |"
            if isinstance(rows, int)
            else f"| {r['customers']:,} | {r['step']} | {r['seconds']} | {r['peak_rss_mb']:,} | |"
        )


def _worktree(ref: str, base: Path) -> Path:
    """A checkout of `ref` beside the bench data (removed at the end)."""
    path = base / "baseline_checkout"
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                   capture_output=True)  # fmt: skip
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=ROOT, check=True)
    return path


if __name__ == "__main__":
    with exclusive("make bench"):
        main()
