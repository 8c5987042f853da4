-- Invariant: no `send` falls under an active suppression of the customer (suppressions:
-- everything, the channel, the topic, the product, the category, the objective, or a
-- paid prospecting audience), unless the suppression exempts the message's objective.
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
select
    queue.queue_id,
    suppressions.suppression_id,
    suppressions.scope,
    suppressions.scope_value
from {{ ref('send_queue') }} as queue
inner join {{ ref('campaigns') }} as campaigns
    on queue.campaign_id = campaigns.campaign_id
inner join {{ ref('suppressions') }} as suppressions
    on queue.customer_id = suppressions.customer_id
where
    queue.decision = 'send'
    and {{ chorus_suppression_applies(
        'suppressions', 'campaigns.objective', campaign='campaigns', channel='queue.channel'
    ) }}
