-- Invariant: a customer's marketing messages on a channel with a gap
-- (channel_policy.min_gap_hours) go at least that many hours apart: two sends of the
-- queue, and a send and the channel's last marketing message before as_of (contacts).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
with

policy as (

    select
        channel,
        min_gap_hours
    from {{ ref('channel_policy') }}
    where min_gap_hours is not null

),

sends as (

    select
        queue.queue_id,
        queue.customer_id,
        queue.channel,
        queue.scheduled_at,
        policy.min_gap_hours,
        lag(queue.scheduled_at) over (
            partition by queue.customer_id, queue.channel
            order by queue.scheduled_at, queue.queue_id
        ) as previous_send_at
    from {{ ref('send_queue') }} as queue
    inner join policy
        on queue.channel = policy.channel
    where queue.decision = 'send' and queue.counts_toward_cap

),

queue_as_of as (

    select distinct as_of from {{ ref('send_queue') }}

),

last_contacts as (

    select
        contacts.customer_id,
        contacts.channel,
        max(contacts.sent_at) as last_sent_at
    from {{ ref('contacts') }} as contacts
    -- the gap is at most 168 hours (a test of the seed): older messages cannot be close
    inner join queue_as_of
        on
            contacts.sent_at <= queue_as_of.as_of
            and contacts.sent_at > {{ dbt.dateadd('day', -7, 'queue_as_of.as_of') }}
    where contacts.purpose = 'marketing' and contacts.customer_id is not null
    group by 1, 2

)

select
    sends.queue_id,
    sends.customer_id,
    sends.channel,
    sends.scheduled_at,
    sends.previous_send_at,
    last_contacts.last_sent_at
from sends
left join last_contacts
    on sends.customer_id = last_contacts.customer_id and sends.channel = last_contacts.channel
where
    sends.scheduled_at
    < {{ dbt.dateadd('hour', 'sends.min_gap_hours', 'sends.previous_send_at') }}
    or sends.scheduled_at
    < {{ dbt.dateadd('hour', 'sends.min_gap_hours', 'last_contacts.last_sent_at') }}
