-- One row per candidate message considered at as_of: the decisions of the latest run of
-- decision_log, which decides them (its header has the rules) and writes them once, with
-- the run's id and start; a view, so the queue is never a second copy of the ledger's
-- 5.8M rows a day at 1M customers (docs/DECISIONS.md "The queue is the log's latest
-- run").
{{ config(materialized='view') }}

-- every column of the log: the queue's own and the run's (its column list lives once, in
-- decision_log)
select *  -- noqa: AM04
from {{ ref('decision_log') }}
-- a filter on the table itself, not a join: the run's rows are appended together, so
-- DuckDB reads only their row groups (zone maps on logged_at and run_id), and
-- PostgreSQL finds them by decision_log's index on logged_at
where
    logged_at = (select max(latest.logged_at) from {{ ref('decision_log') }} as latest)
    and run_id = (
        select max(runs.run_id)
        from {{ ref('decision_log') }} as runs
        where runs.logged_at = (
            select max(started.logged_at) from {{ ref('decision_log') }} as started
        )
    )
