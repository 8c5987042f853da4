-- One row per marketing message delivered to a customer on a contact channel: the
-- contact pressure it met, i.e. the customer's marketing contacts on every channel
-- combined sent in the 7 days before it (the message itself and any sent in the same
-- second excluded), whether it was engaged with (the channel's engagement_event), and
-- the customer's tier for the curve (int_fatigue_tiers.curve_tier, judged on the time
-- before), and the rate expected of it without fatigue: the customer's own smoothed
-- rate on that channel. Only messages of the last var chorus_fatigue_curve_days days.
-- The input of fatigue_curve.

with

policy as (

    select * from {{ ref('channel_policy') }}
    where is_contact

),

marketing as (

    select
        contacts.contact_id,
        contacts.customer_id,
        contacts.channel,
        contacts.sent_at,
        contacts.delivered_at,
        contacts.engaged_at is not null as is_engaged,
        {{ chorus_epoch_seconds('contacts.sent_at') }} as sent_epoch
    from {{ ref('contacts') }} as contacts
    inner join policy
        on contacts.channel = policy.channel
    where contacts.customer_id is not null and contacts.purpose = 'marketing'

),

pressured as (

    select
        *,
        count(*) over (
            partition by customer_id
            order by sent_epoch
            range between 604800 preceding and 1 preceding
        ) as contacts_7d
    from marketing

),

final as (

    select
        pressured.contact_id,
        pressured.customer_id,
        pressured.channel,
        pressured.sent_at,
        cast(pressured.contacts_7d as bigint) as contacts_7d,
        pressured.is_engaged,
        tiers.curve_tier as engagement_tier,
        engagement.engagement_rate as expected_rate
    from pressured
    inner join {{ ref('int_fatigue_tiers') }} as tiers
        on pressured.customer_id = tiers.customer_id
    inner join {{ ref('customer_engagement') }} as engagement
        on
            pressured.customer_id = engagement.customer_id
            and pressured.channel = engagement.channel
    where
        pressured.delivered_at is not null
        and tiers.curve_tier is not null
        and pressured.sent_at > {{ dbt.dateadd(
            'day', -var('chorus_fatigue_curve_days'), chorus_as_of()
        ) }}

)

select * from final
