"""`make bench-engagement`: the engagement marts checked against the generator's truth.

One generated business (BENCH_ENGAGEMENT_CUSTOMERS, default 20000, BENCH_DAYS days) is
loaded into a fresh DuckDB file and built twice: as of HOLDOUT_DAYS before the end
(the training build) and as of the end. Then:

- held-out engagement: every marketing message delivered after the training as_of is
  predicted with the training build's rate for its customer and channel, smoothed
  (customer_engagement.engagement_rate) and raw (engaged / delivered; the channel's
  pooled rate for a customer with no history). Brier score and log loss, lower is
  better (raw rates of 0 or 1 are clipped to [0.001, 0.999] for the log loss);
- the fatigue curve: per tier, the standardized engagement rate at each trailing-7-day
  contact count relative to the rate at 0, beside the generator's multiplier 1 / (1 + (c / c50)^k)
  (_truth/fatigue.json), and each tier's learned cap beside the cap the true curve gives
  at the tier's own base rate with the same rule (var
  chorus_fatigue_min_marginal_engagement);
- more contacts, lower engagement: the rate at 0 contacts against 5 or more.

Results go to bench/results/engagement-latest.json and markdown on stdout.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bench.lock import bench_dir, exclusive
from orchestration.dbt import run_dbt
from orchestration.loader import load_directory
from orchestration.sample_data import generate
from orchestration.settings import DBT_PROJECT_DIR, connect

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT_DAYS = 14


def _build(db: Path, work: Path, as_of: datetime) -> None:
    outcome = run_dbt(
        ["run", "--select", "+tag:engagement", "+customers"],
        vars={"chorus_as_of": as_of.isoformat()},
        db_path=db,
        work_dir=work,
    )
    if not outcome.success:
        raise SystemExit(f"dbt run failed: {outcome.failures[:5] or outcome.exception}")


def _holdout(con, train: str) -> dict:
    """Brier and log loss of smoothed and raw rates on the messages after training."""
    rows = con.sql(
        f"""
        with later as (
            select c.customer_id, c.channel, c.engaged_at is not null as engaged
            from marts.contacts c
            where c.customer_id is not null and c.purpose = 'marketing'
                and c.delivered_at is not null
                and c.sent_at > (select max(as_of) from {train}_as_of)
        ),
        pooled as (
            select channel, sum(engaged)::double / sum(delivered) as rate
            from {train}_engagement where delivered > 0 group by 1
        )
        select later.engaged::int as y, e.engagement_rate as smoothed,
            coalesce(e.engaged::double / nullif(e.delivered, 0), pooled.rate) as raw
        from later
        join {train}_engagement e using (customer_id, channel)
        join pooled using (channel)
        where e.engagement_rate is not null
        """
    ).fetchall()

    def scores(index: int) -> dict:
        brier = sum((r[index] - r[0]) ** 2 for r in rows) / len(rows)
        loss = 0.0
        for r in rows:
            p = min(max(r[index], 0.001), 0.999)
            loss -= math.log(p) if r[0] else math.log(1 - p)
        return {"brier": round(brier, 5), "log_loss": round(loss / len(rows), 5)}

    return {"messages": len(rows), "smoothed": scores(1), "raw": scores(2)}


def _fatigue(con, truth: dict, threshold: float) -> dict:
    curve = con.sql(
        "select engagement_tier, contacts_7d, messages, standardized_rate, tier_weekly_cap"
        " from marts.fatigue_curve order by 1, 2"
    ).fetchall()
    c50, k = truth["c50"], truth["k"]

    def true_multiplier(c: float) -> float:
        return 1 / (1 + (c / c50) ** k)

    tiers: dict = {}
    for tier, c, messages, rate, cap in curve:
        entry = tiers.setdefault(tier, {"learned_cap": cap, "points": []})
        entry["points"].append({"contacts_7d": c, "messages": messages, "rate": rate})
    for entry in tiers.values():
        base = entry["points"][0]["rate"]
        for point in entry["points"]:
            # a pressure no customer also met without pressure has no rate (None)
            point["relative"] = (
                round(point["rate"] / base, 4) if base and point["rate"] is not None else None
            )
            point["true_multiplier"] = round(true_multiplier(point["contacts_7d"]), 4)
        # the cap the true curve gives at this base rate, by the same marginal rule
        n, weekly_before = 0, 0.0
        while n < 30:
            weekly = (n + 1) * base * true_multiplier(n)
            if weekly - weekly_before < threshold:
                break
            n, weekly_before = n + 1, weekly
        entry["true_curve_cap"] = max(n, 1)
        entry["base_rate"] = round(base, 4)
        low = [p for p in entry["points"] if p["contacts_7d"] == 0]
        high = [p for p in entry["points"] if p["contacts_7d"] >= 5 and p["rate"] is not None]
        high_rate = sum(p["rate"] * p["messages"] for p in high) / max(
            sum(p["messages"] for p in high), 1
        )
        entry["rate_at_0"] = round(low[0]["rate"], 4) if low else None
        entry["rate_at_5_plus"] = round(high_rate, 4) if high else None
    return tiers


def main() -> None:
    customers = int(os.environ.get("BENCH_ENGAGEMENT_CUSTOMERS", "20000"))
    days = int(os.environ.get("BENCH_DAYS", "90"))
    base = bench_dir().resolve() / "engagement"
    data = base / f"data_{customers}"
    if not (data / "_truth" / "fatigue.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        generate(data, customers=customers, days=days)
    work = base / f"work_{customers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "chorus.duckdb"
    load_directory(data, db_path=db)
    con = connect(db, read_only=True)
    (end,) = con.sql("select max(occurred_at) from raw.email_events").fetchall()[0]
    con.close()
    train_as_of = end - timedelta(days=HOLDOUT_DAYS)
    outcome = run_dbt(["seed"], db_path=db, work_dir=work)
    if not outcome.success:
        raise SystemExit(f"dbt seed failed: {outcome.failures[:5] or outcome.exception}")
    _build(db, work, train_as_of)
    con = connect(db)
    con.execute(
        "create or replace table main.train_engagement as select * from marts.customer_engagement"
    )
    con.execute(
        f"create or replace table main.train_as_of as select timestamp '{train_as_of}' as as_of"
    )
    con.close()
    _build(db, work, end)

    truth = json.loads((data / "_truth" / "fatigue.json").read_text())
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    threshold = project["vars"]["chorus_fatigue_min_marginal_engagement"]
    con = connect(db, read_only=True)
    try:
        holdout = _holdout(con, "main.train")
        fatigue = _fatigue(con, truth, threshold)
    finally:
        con.close()
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "command": "make bench-engagement",
        "customers": customers,
        "days": days,
        "holdout_days": HOLDOUT_DAYS,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "holdout": holdout,
        "fatigue": fatigue,
        "truth": {"c50": truth["c50"], "k": truth["k"]},
    }
    (ROOT / "bench" / "results" / "engagement-latest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps({"holdout": holdout}, indent=2))
    for tier, entry in fatigue.items():
        print(
            f"{tier}: base {entry['base_rate']}, learned cap {entry['learned_cap']}, true-curve"
            f" cap {entry['true_curve_cap']}, rate at 0 {entry['rate_at_0']}, at 5+"
            f" {entry['rate_at_5_plus']}"
        )
        for p in entry["points"]:
            print(
                f"  c={p['contacts_7d']:>2} n={p['messages']:>6} relative {p['relative']}"
                f" true {p['true_multiplier']}"
            )


if __name__ == "__main__":
    with exclusive("make bench-engagement"):
        main()
