-- Invariant: every `send` is scheduled inside its campaign's window and its period:
-- from as_of, before the campaign ends and before the period does.
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
select
    queue.queue_id,
    queue.scheduled_at,
    campaigns.ends_at
from {{ ref('send_queue') }} as queue
inner join {{ ref('campaigns') }} as campaigns
    on queue.campaign_id = campaigns.campaign_id
where
    queue.decision = 'send'
    and (
        queue.scheduled_at < queue.as_of
        or queue.scheduled_at >= campaigns.ends_at
        or queue.scheduled_at < campaigns.starts_at
        or queue.scheduled_at >= {{ dbt.dateadd('hour', var('chorus_decision_period_hours'), 'queue.as_of') }}
    )
