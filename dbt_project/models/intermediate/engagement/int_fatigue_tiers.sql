-- One row per customer with delivered marketing messages: their engagement tier, from
-- their own responsiveness (the smoothed engagement rates of customer_engagement
-- averaged over their channels, weighted by messages delivered) against the
-- population's thirds (high: the top third, light: the bottom third, medium between),
-- so tiers follow the business's own level of response. The cap of customer_fatigue
-- uses it.
-- fatigue_curve measures the messages of the last var chorus_fatigue_curve_days days
-- and must not sort customers by the outcomes it measures (a customer with two unopened
-- messages would land in the light tier because of them, and make that tier look
-- fatigued at low pressure): its tier, curve_tier, is the same ranking of the rate
-- before those days, for customers with var chorus_fatigue_trend_min_messages
-- delivered messages then.
{{ config(materialized='table') }}  -- read by several models: computed once

{% set double = chorus_type_double() %}
{% set window_start = dbt.dateadd('day', -var('chorus_fatigue_curve_days'), chorus_as_of()) %}

with

weighted as (

    select
        customer_id,
        sum(delivered * engagement_rate) / sum(delivered) as base_rate,
        sum(delivered) as delivered
    from {{ ref('customer_engagement') }}
    where delivered > 0 and engagement_rate is not null
    group by 1

),

earlier as (

    select
        contacts.customer_id,
        cast(sum(case when contacts.engaged_at is not null then 1 else 0 end) as {{ double }})
        / count(*) as earlier_rate
    from {{ ref('contacts') }} as contacts
    inner join {{ ref('channel_policy') }} as channel_rules
        on contacts.channel = channel_rules.channel
    where
        contacts.customer_id is not null
        and contacts.purpose = 'marketing'
        and contacts.delivered_at is not null
        and channel_rules.is_contact
        and contacts.sent_at <= {{ window_start }}
    group by 1
    having count(*) >= {{ var('chorus_fatigue_trend_min_messages') }}

),

ranked as (

    select
        weighted.customer_id,
        weighted.base_rate,
        weighted.delivered,
        earlier.earlier_rate,
        ntile(3) over (order by weighted.base_rate desc, weighted.customer_id asc) as third,
        case when earlier.earlier_rate is not null then ntile(3) over (
            partition by earlier.earlier_rate is null
            order by earlier.earlier_rate desc, weighted.customer_id asc
        ) end as earlier_third
    from weighted
    left join earlier
        on weighted.customer_id = earlier.customer_id

),

final as (

    select
        customer_id,
        base_rate,
        cast(delivered as bigint) as delivered,
        earlier_rate,
        case third when 1 then 'high' when 2 then 'medium' else 'light' end
            as engagement_tier,
        case earlier_third when 1 then 'high' when 2 then 'medium' when 3 then 'light' end
            as curve_tier
    from ranked

)

select * from final
