-- One row per send_queue row of every run (dbt invocation) that built it: the
-- append-only ledger of what was sent, held or suppressed and why, across all channels,
-- for audits, fatigue and attribution. Never rewritten: --full-refresh keeps it
-- (full_refresh=false), and a re-run for the same as_of appends its own rows, whose
-- idempotency keys equal the earlier run's.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}

select
    '{{ invocation_id }}' as run_id,
    queue.queue_id,
    queue.as_of,
    queue.customer_id,
    queue.campaign_id,
    queue.journey_id,
    queue.step,
    queue.decision,
    queue.reason_code,
    queue.reason,
    queue.channel,
    queue.scheduled_at,
    queue.priority_score,
    queue.offer_code,
    queue.idempotency_key,
    cast('{{ chorus_format_timestamp(run_started_at) }}' as {{ dbt.type_timestamp() }}) as logged_at
from {{ ref('send_queue') }} as queue
