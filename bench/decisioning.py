"""`make bench-decisioning`: the send queue at scale, and against the channel-by-channel
baseline.

For each size of BENCH_DECISION_SIZES (default 200000,1000000) it takes the warehouse
`make bench` left in BENCH_DIR/<size>/chorus.duckdb (the daily build: day 2's identity
batch and engagement batch), copies it, loads this checkout's seeds into the copy (not
timed), and:

- builds the decisioning domain (`dbt run --select tag:decisioning`: the audiences,
  candidates, channel choice, scoring, send_queue and decision_log), timed in a fresh
  interpreter (bench/step.py: wall time, the models' node times, peak RSS), twice:
  the second build, for the same as_of, must give the same send_queue;
- counts the candidates evaluated, and candidates per second of the domain's models;
- compares the queue with the baseline of siloed tools: every channel sends its own
  top campaign (the highest business value among the candidates whose campaign allows
  the channel) to every customer who consents to it and can be reached there, with no
  cross-channel cap, topic window or suppression but the channel's own consent. Both
  plans leave out the holdout customers. For each: marketing messages, customers
  contacted, customers over their weekly cap (customer_fatigue: contacts of the last
  7 days plus the plan's messages), the messages that break a rule the queue
  enforces (one the queue suppresses for that very candidate: a suppressed scope, a
  topic contacted within the window, an exited journey; a second message on one
  topic; a message beyond the customer's remaining budget or, on a paced channel
  (channel_policy.is_paced), the day's pacing limit (var
  chorus_daily_share_of_weekly_cap of the weekly cap, less the last 24 hours there),
  the most converting counted first), and expected conversions and engagements:
    - conversions as the generator made them (_truth/channel_effects.json): each
      marketing message converts with its channel's incremental probability,
      whatever the fatigue; in all, and from the messages that break no rule;
    - conversions and engagements with the true fatigue curve applied
      (_truth/fatigue.json: 1 / (1 + (c / c50)^k), c = the customer's marketing
      contacts of the last 7 days plus the plan's earlier messages): what a message
      to a tired customer is worth when fatigue reaches conversions too;
    - engagements: the customer's smoothed engagement rate on the channel
      (customer_engagement), fatigued the same way;
    - a message on a channel shown only inside a visit (channel_policy.shown_on_visit:
      a chat prompt, whose effect is per prompt shown) counts with the chance that the
      customer comes to the site in the period, from the generator's truth: their
      person's web sessions with a product view per day (persons.parquet,
      model.web_product_view_sessions_per_day), a Poisson process, so
      1 - exp(-rate * period days). A customer is the person most of their
      identifiers belong to (identifiers.parquet, shared and junk values left out).

Results go to bench/results/decisioning-latest.json and JSON on stdout.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from bench.lock import bench_dir, exclusive
from bench.run import machine, run_step
from orchestration.sample_data import model
from orchestration.settings import DBT_PROJECT_DIR, connect

ROOT = Path(__file__).resolve().parent.parent
STEP = "dbt@decide:run --select tag:decisioning"


# the plans compared, as (customer_id, channel, campaign_id, topic) rows of marketing
# messages on contact channels, holdout customers left out of both
PLANS = {
    "queue": """
        select customer_id, channel, campaign_id, topic, scheduled_at as planned_at
        from marts.send_queue
        where decision = 'send' and counts_toward_cap
    """,
    "baseline": """
        with options as (
            select
                candidates.customer_id, policy.channel, campaigns.campaign_id,
                campaigns.topic, campaigns.business_value
            from intermediate.int_decision_candidates as candidates
            join seeds.campaigns as campaigns on candidates.campaign_id = campaigns.campaign_id
            join seeds.channel_policy as policy
                on policy.is_contact
                and '|' || campaigns.allowed_channels || '|' like '%|' || policy.channel || '|%'
            join marts.customer_consent as consent
                on consent.customer_id = candidates.customer_id
                and consent.channel = policy.channel and consent.purpose = 'marketing'
                and consent.is_consented and consent.is_reachable
            where campaigns.objective <> 'transactional'
        )
        select customer_id, channel, campaign_id, topic, null as planned_at
        from options
        qualify row_number() over (
            partition by customer_id, channel order by business_value desc, campaign_id
        ) = 1
    """,
}


def _visit_chances(con, truth: Path, period_days: float) -> None:
    """Temp table `visits` (customer_id, p_visit): the chance that the customer's
    person has a web session with a product view within one period."""
    persons = pd.read_parquet(
        truth / "persons.parquet", columns=["person_id", "sessions_per_day", "app_devices"]
    )
    rate = model.web_product_view_sessions_per_day(
        persons["sessions_per_day"].to_numpy(), persons["app_devices"].to_numpy() > 0
    )
    person_visits = pd.DataFrame(
        {"person_id": persons["person_id"], "p_visit": 1 - np.exp(-rate * period_days)}
    )
    con.register("person_visits", person_visits)
    ids = (truth / "identifiers.parquet").as_posix()
    con.execute(
        f"""
        create or replace temp table visits as
        with votes as (
            select ci.customer_id, truth.person_id, count(*) as identifiers
            from marts.customer_identifiers as ci
            join read_parquet('{ids}') as truth
                on truth.identifier_type = ci.identifier_type
                and truth.identifier_value = ci.identifier_value
            where not truth.is_shared and not truth.is_junk
            group by 1, 2
        ),
        customer_person as (
            select customer_id, person_id
            from votes
            qualify row_number() over (
                partition by customer_id order by identifiers desc, person_id
            ) = 1
        )
        select customer_person.customer_id, person_visits.p_visit
        from customer_person
        join person_visits using (person_id)
        """
    )
    con.unregister("person_visits")


def _compare(con, truth: Path) -> dict:
    effects = json.loads((truth / "channel_effects.json").read_text())["channels"]
    fatigue = json.loads((truth / "fatigue.json").read_text())
    c50, k = fatigue["c50"], fatigue["k"]
    con.execute(
        "create or replace temp table effects as select * from (values "
        + ", ".join(
            f"('{channel}', {e['incremental_conversion_probability_per_touch']})"
            for channel, e in effects.items()
        )
        + ") as t(channel, p_convert)"
    )
    holdout = "select distinct customer_id from marts.send_queue where reason_code = 'holdout'"
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    _visit_chances(con, truth, project["vars"]["chorus_decision_period_hours"] / 24)
    # the pacing share as a decimal literal, as the queue's macro writes it (exact)
    share = project["vars"]["chorus_daily_share_of_weekly_cap"]
    # each customer's marketing messages of the last 24 hours on the paced channels, as
    # the queue counts them (int_decision_channel_allowance)
    con.execute(
        "create or replace temp table sent_today as select customer_id,"
        " sum(contacts_last_24h) as contacts_last_24h"
        " from intermediate.int_decision_channel_allowance"
        " where channel in (select channel from seeds.channel_policy where is_paced)"
        " group by 1"
    )
    out = {}
    for name, sql in PLANS.items():
        con.execute(
            f"create or replace temp table plan as select * from ({sql}) as p"
            f" where customer_id not in ({holdout})"
        )
        row = con.execute(
            f"""
            with flagged as (
                select
                    plan.*,
                    -- a prompt shown only inside a visit reaches the customer only if
                    -- they visit in the period
                    case when policy.shown_on_visit then coalesce(visits.p_visit, 0) else 1 end
                        as reach,
                    effects.p_convert * reach as p_convert,
                    coalesce(engagement.engagement_rate, 0) * reach as engagement_rate,
                    coalesce(fatigue.contacts_last_7d, 0) as contacts_last_7d,
                    coalesce(fatigue.weekly_cap, 0) as weekly_cap,
                    coalesce(fatigue.remaining_budget, 0) as remaining_budget,
                    cast(ceil(coalesce(fatigue.weekly_cap, 0) * {share}) as integer)
                        - coalesce(sent_today.contacts_last_24h, 0) as daily_allowance,
                    -- a rule the queue enforces for this very candidate (a suppressed
                    -- scope, the topic window, an exited journey, a closed window)
                    scored.suppression_code as rule,
                    policy.is_paced,
                    policy.shown_on_visit as policy_shown,
                    row_number() over (
                        partition by plan.customer_id, plan.topic
                        order by effects.p_convert desc, plan.channel, plan.campaign_id
                    ) as topic_rank
                from plan
                join effects using (channel)
                join seeds.channel_policy as policy using (channel)
                left join marts.customer_engagement as engagement using (customer_id, channel)
                left join marts.customer_fatigue as fatigue using (customer_id)
                left join sent_today using (customer_id)
                left join visits using (customer_id)
                left join intermediate.int_decision_scored as scored
                    on scored.customer_id = plan.customer_id
                    and scored.campaign_id = plan.campaign_id
            ),
            ranked as (
                select
                    *,
                    -- the customer's messages in sending order (the plan's times, else
                    -- the most converting first, which favours the baseline)
                    row_number() over (
                        partition by customer_id
                        order by planned_at, p_convert desc, channel, campaign_id
                    ) as sent_rank,
                    -- within the budget: the most converting of the messages that
                    -- break no other rule, up to the remaining budget
                    case when rule is null and topic_rank = 1 then row_number() over (
                        partition by customer_id, rule is null and topic_rank = 1
                        order by p_convert desc, channel, campaign_id
                    ) end as budget_rank,
                    -- the same on the paced channels alone, for the day's limit
                    case when rule is null and topic_rank = 1 and is_paced then row_number()
                    over (
                        partition by customer_id, rule is null and topic_rank = 1 and is_paced
                        order by p_convert desc, channel, campaign_id
                    ) end as paced_rank
                from flagged
            ),
            valued as (
                select
                    *,
                    1 / (1 + power((contacts_last_7d + sent_rank - 1) / {c50}, {k}))
                        as multiplier,
                    rule is null and topic_rank = 1 and budget_rank <= remaining_budget
                    and (not is_paced or paced_rank <= daily_allowance)
                        as breaks_no_rule
                from ranked
            ),
            per_customer as (
                select
                    customer_id,
                    count(*) as messages,
                    max(weekly_cap) as weekly_cap,
                    max(contacts_last_7d) as contacts_last_7d,
                    max(daily_allowance) as daily_allowance,
                    count(*) filter (where is_paced) as paced_messages
                from valued
                group by 1
            )
            select
                count(*) as messages,
                count(*) filter (where policy_shown) as messages_shown_on_visit,
                sum(reach) filter (where policy_shown) as expected_shown_on_visit,
                (select count(*) from per_customer) as customers_contacted,
                (select count(*) from per_customer where contacts_last_7d + messages > weekly_cap)
                    as customers_over_cap,
                (select count(*) from per_customer where paced_messages > daily_allowance)
                    as customers_over_daily_limit,
                count(*) filter (where not breaks_no_rule) as messages_breaking_a_rule,
                count(*) filter (where rule is not null) as messages_the_queue_suppresses,
                count(*) filter (where topic_rank > 1) as messages_on_a_topic_twice,
                count(*) filter (
                    where rule is null and topic_rank = 1 and budget_rank > remaining_budget
                ) as messages_over_budget,
                count(*) filter (
                    where rule is null and topic_rank = 1 and budget_rank <= remaining_budget
                    and is_paced and paced_rank > daily_allowance
                ) as messages_over_daily_limit,
                sum(p_convert) as expected_conversions,
                sum(p_convert) filter (where breaks_no_rule)
                    as expected_conversions_breaking_no_rule,
                sum(p_convert * multiplier) as expected_conversions_fatigued,
                sum(engagement_rate * multiplier) as expected_engagements_fatigued
            from valued
            """
        ).fetchone()
        columns = [
            "messages",
            "messages_shown_on_visit",
            "expected_shown_on_visit",
            "customers_contacted",
            "customers_over_cap",
            "customers_over_daily_limit",
            "messages_breaking_a_rule",
            "messages_the_queue_suppresses",
            "messages_on_a_topic_twice",
            "messages_over_budget",
            "messages_over_daily_limit",
            "expected_conversions",
            "expected_conversions_breaking_no_rule",
            "expected_conversions_fatigued",
            "expected_engagements_fatigued",
        ]
        values = dict(zip(columns, row, strict=True))
        values = {k: round(float(v), 1) if not isinstance(v, int) else v for k, v in values.items()}
        values["conversions_per_1000_messages"] = round(
            1000 * values["expected_conversions"] / max(values["messages"], 1), 2
        )
        out[name] = values
    return out


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_DECISION_SIZES", "200000,1000000").split(",")]
    base = bench_dir()
    results = {
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench-decisioning  (BENCH_DECISION_SIZES="
        + ",".join(map(str, sizes))
        + ")",
        "runs": [],
    }
    for customers in sizes:
        data_dir = base / str(customers)
        source = data_dir / "chorus.duckdb"
        if not source.exists():
            raise SystemExit(
                f"no warehouse at {source}: run `make bench` first (BENCH_SIZES including"
                f" {customers}); it builds the warehouses this benchmark decides on"
            )
        work = data_dir / "decide.duckdb"
        # a write-ahead log left by an interrupted run belongs to the old copy
        work.with_name(work.name + ".wal").unlink(missing_ok=True)
        shutil.copyfile(source, work)
        # the seeds as this checkout has them, not timed: `make bench` may have built the
        # warehouse with code whose seeds had fewer columns
        run_step("dbt@decide:seed", data_dir, source, customers, 90)
        builds = [run_step(STEP, data_dir, source, customers, 90) for _ in range(2)]
        con = connect(work)
        try:
            (candidates,) = con.execute(
                "select count(*) from intermediate.int_decision_candidates"
            ).fetchone()
            decisions = dict(
                con.execute("select decision, count(*) from marts.send_queue group by 1").fetchall()
            )
            # this benchmark's two builds: the log's two latest runs (`make bench` may
            # have logged the day's queue before), only the columns compared: the log
            # keeps every column of the queue
            con.execute(
                "create temp table bench_log as select run_id, idempotency_key, decision,"
                " reason, channel, scheduled_at, offer_code from marts.decision_log"
                " where run_id in (select run_id from marts.decision_log group by run_id"
                " order by max(logged_at) desc limit 2)"
            )
            (runs, distinct_keys) = con.execute(
                "select count(distinct run_id), count(distinct idempotency_key) from bench_log"
            ).fetchone()
            (changed,) = con.execute(
                "select count(*) from (select idempotency_key, decision, reason, channel,"
                " scheduled_at, offer_code from bench_log group by all"
                " having count(distinct run_id) <> 2)"
            ).fetchone()
            comparison = _compare(con, data_dir / "_truth")
        finally:
            con.close()
        work.unlink()
        model_seconds = sum(builds[0]["node_seconds"].values())
        results["runs"].append(
            {
                "customers": customers,
                "builds": builds,
                "candidates": candidates,
                "candidates_per_second": round(candidates / model_seconds),
                "decisions": decisions,
                "decision_log_runs": runs,
                "idempotency_keys": distinct_keys,
                "rows_differing_between_the_two_builds": changed,
                "comparison": comparison,
            }
        )
        print(json.dumps(results["runs"][-1], indent=1, default=str), flush=True)
    out = ROOT / "bench" / "results" / "decisioning-latest.json"
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    with exclusive("make bench-decisioning"):
        main()
