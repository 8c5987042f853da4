-- Invariant: no `send` inside its channel's quiet hours, local time (channel_policy),
-- and local_send_time is scheduled_at in the customer's time zone.
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
select
    queue.queue_id,
    queue.channel,
    queue.timezone,
    queue.scheduled_at,
    queue.local_send_time
from {{ ref('send_queue') }} as queue
inner join {{ ref('channel_policy') }} as policy
    on queue.channel = policy.channel
where
    queue.decision = 'send'
    and (
        queue.scheduled_at is null
        or {{ chorus_in_quiet_hours(
            'cast(extract(hour from ' ~ chorus_utc_to_local('queue.scheduled_at', 'queue.timezone')
            ~ ') as ' ~ dbt.type_int() ~ ')',
            'policy.quiet_hours_start', 'policy.quiet_hours_end'
        ) }}
        or {{ chorus_utc_to_local('queue.scheduled_at', 'queue.timezone') }} <> queue.local_send_time
    )
