-- One row per candidate message considered at as_of: the decisions of the latest run of
-- decision_log, which decides them (its header has the rules) and writes them once; a
-- view, so the queue is never a second copy of the ledger's 5.8M rows a day at 1M
-- customers (docs/DECISIONS.md "The queue is the log's latest run").
{{ config(materialized='view') }}

select
    queue_id,
    customer_id,
    campaign_id,
    journey_id,
    step,
    decision,
    reason_code,
    reason,
    channel,
    scheduled_at,
    local_send_time,
    timezone,
    priority_score,
    value_score,
    urgency_score,
    relevance_score,
    channel_fit_score,
    timing_score,
    expected_engagement,
    offer_code,
    is_offer_reused,
    topic,
    objective,
    purpose,
    promotion_family,
    counts_toward_cap,
    remaining_budget,
    weekly_cap,
    contacts_last_7d,
    channel_allowance,
    candidate_source,
    due_at,
    journey_started_at,
    idempotency_key,
    as_of
from {{ ref('decision_log') }}
-- a filter on the table itself, not a join: the run's rows are appended together, so
-- DuckDB reads only their row groups
where run_id = (
    select max(runs.run_id)
    from {{ ref('decision_log') }} as runs
    where runs.logged_at = (select max(started.logged_at) from {{ ref('decision_log') }} as started)
)
