-- Invariant: no customer gets one topic twice within the topic window, on any channels:
-- at most one `send` per customer and topic, and none on a topic contacted within
-- chorus_topic_window_days (an earlier step of the message's own journey run, and the
-- exempt objectives, chorus_topic_window_exempt_objectives, excepted).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
with

sends as (

    select * from {{ ref('send_queue') }}
    where decision = 'send'

),

twice_in_queue as (

    select
        customer_id,
        topic,
        count(*) as sends
    from sends
    group by 1, 2
    having count(*) > 1

),

contacted as (

    select
        sends.queue_id,
        sends.customer_id,
        sends.topic,
        count(*) as contacts
    from sends
    inner join {{ ref('contacts') }} as contacts
        on sends.customer_id = contacts.customer_id and sends.topic = contacts.topic
    left join {{ ref('journey_steps') }} as own_steps
        on
            sends.journey_id = own_steps.journey_id
            and contacts.campaign_id = own_steps.campaign_id
            and contacts.sent_at >= sends.journey_started_at
    where
        contacts.sent_at > {{ dbt.dateadd('day', -var('chorus_topic_window_days'), chorus_as_of()) }}
        and contacts.sent_at <= {{ chorus_as_of() }}
        and own_steps.campaign_id is null
        and {{ chorus_topic_window_applies('sends.objective') }}
    group by 1, 2, 3

)

select
    cast(null as {{ dbt.type_string() }}) as queue_id,
    customer_id,
    topic,
    sends as messages
from twice_in_queue
union all
select
    queue_id,
    customer_id,
    topic,
    contacts as messages
from contacted
