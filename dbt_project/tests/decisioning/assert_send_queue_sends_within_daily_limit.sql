-- Invariant (pacing): a customer's marketing sends of the period on the paced channels
-- (channel_policy.is_paced), with their marketing messages of the last 24 hours there,
-- are at most var chorus_daily_share_of_weekly_cap of their weekly cap, rounded up
-- (chorus_daily_contact_allowance: the rule's one home, which the queue applies too).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
with

paced as (

    select channel from {{ ref('channel_policy') }}
    where is_paced

),

per_customer as (

    select
        sends.customer_id,
        count(*) as sends
    from {{ ref('send_queue') }} as sends
    inner join paced
        on sends.channel = paced.channel
    where sends.decision = 'send' and sends.counts_toward_cap
    group by 1

),

sent_today as (

    {{ chorus_paced_contacts_last_24h() }}

)

select
    per_customer.customer_id,
    per_customer.sends,
    coalesce(sent_today.contacts_last_24h, 0) as contacts_last_24h,
    fatigue.weekly_cap
from per_customer
left join sent_today
    on per_customer.customer_id = sent_today.customer_id
left join {{ ref('customer_fatigue') }} as fatigue
    on per_customer.customer_id = fatigue.customer_id
where
    per_customer.sends > {{ chorus_daily_contact_allowance(
        'fatigue.weekly_cap', 'sent_today.contacts_last_24h'
    ) }}
