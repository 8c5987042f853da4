-- Invariant: a customer's marketing sends of the period fit what their weekly cap
-- leaves after the trailing 7 days' contacts on all channels (customer_fatigue), and
-- each channel's allowance of the period (int_decision_channel_allowance; a channel not
-- there may carry its daily maximum).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
with

sends as (

    select * from {{ ref('send_queue') }}
    where decision = 'send' and counts_toward_cap

),

per_customer as (

    select
        sends.customer_id,
        count(*) as sends
    from sends
    group by 1

),

per_channel as (

    select
        sends.customer_id,
        sends.channel,
        count(*) as sends
    from sends
    group by 1, 2

)

select
    per_customer.customer_id,
    cast(null as {{ dbt.type_string() }}) as channel,
    per_customer.sends,
    fatigue.remaining_budget as allowed
from per_customer
left join {{ ref('customer_fatigue') }} as fatigue
    on per_customer.customer_id = fatigue.customer_id
where per_customer.sends > coalesce(fatigue.weekly_cap - fatigue.contacts_last_7d, 0)
union all
select
    per_channel.customer_id,
    per_channel.channel,
    per_channel.sends,
    coalesce(allowance.allowance, {{ chorus_daily_allowance('policy.daily_max') }}) as allowed
from per_channel
left join {{ ref('int_decision_channel_allowance') }} as allowance
    on per_channel.customer_id = allowance.customer_id and per_channel.channel = allowance.channel
left join {{ ref('channel_policy') }} as policy
    on per_channel.channel = policy.channel
where
    per_channel.sends
    > coalesce(allowance.allowance, {{ chorus_daily_allowance('policy.daily_max') }})
