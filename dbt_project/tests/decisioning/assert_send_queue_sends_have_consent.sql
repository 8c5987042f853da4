-- Invariant: no `send` to a customer and channel without consent for the message's
-- purpose, or where no message can reach them (customer_consent).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
select
    queue.queue_id,
    queue.customer_id,
    queue.channel,
    queue.purpose
from {{ ref('send_queue') }} as queue
left join {{ ref('customer_consent') }} as consent
    on
        queue.customer_id = consent.customer_id
        and queue.channel = consent.channel
        and queue.purpose = consent.purpose
where
    queue.decision = 'send'
    and not coalesce(consent.is_consented and consent.is_reachable, false)
