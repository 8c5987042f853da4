-- One row per marketing message delivered to a customer on a contact channel in the
-- last var chorus_fatigue_curve_days days: the contact pressure it met (the customer's
-- marketing contacts on every channel combined sent in the 7 days before it, the
-- message itself and any sent in the same second excluded), whether it was engaged with
-- (the channel's engagement_event) and the customer's curve tier. The input of the
-- fatigue curve's fit (int_fatigue_curves), read only when it fits.
-- The curve tier ranks customers as the engagement tiers do, but by their engagement
-- rate before those days (customers with var chorus_fatigue_trend_min_messages
-- delivered messages then): the curve must not sort customers by the outcomes it
-- measures (a customer with two unopened messages would land in the light tier because
-- of them, and make that tier look fatigued at low pressure).

{% set double = chorus_type_double() %}
{% set window_start = dbt.dateadd('day', -var('chorus_fatigue_curve_days'), chorus_as_of()) %}

with

policy as (

    select * from {{ ref('channel_policy') }}

),

marketing as {{ chorus_not_materialized() }} (

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
    where {{ chorus_is_marketing_contact() }}

),

base_rates as (

    {{ chorus_fatigue_base_rates(ref('customer_engagement')) }}

),

earlier as (

    select
        customer_id,
        cast(sum(case when is_engaged then 1 else 0 end) as {{ double }}) / count(*)
            as earlier_rate
    from marketing
    where delivered_at is not null and sent_at <= {{ window_start }}
    group by 1
    having count(*) >= {{ var('chorus_fatigue_trend_min_messages') }}

),

curve_tiers as (

    select
        base_rates.customer_id,
        case ntile(3) over (order by earlier.earlier_rate desc, base_rates.customer_id asc)
            when 1 then 'high'
            when 2 then 'medium'
            else 'light'
        end as curve_tier
    from base_rates
    inner join earlier
        on base_rates.customer_id = earlier.customer_id

),

-- the window counts back 7 days (604800 epoch seconds), so a message sent before the
-- first second of the curve's days less 7 days is in no kept message's frame: left
-- out, the window sorts about half the history (at 1M customers 6.7M messages to 4.3M)
pressured as (

    select
        *,
        count(*) over (
            partition by customer_id
            order by sent_epoch
            range between 604800 preceding and 1 preceding
        ) as contacts_7d
    from marketing
    where sent_epoch >= {{ chorus_epoch_seconds(window_start) }} - 604800

),

final as (

    select
        pressured.contact_id,
        pressured.customer_id,
        pressured.channel,
        pressured.sent_at,
        cast(pressured.contacts_7d as bigint) as contacts_7d,
        pressured.is_engaged,
        curve_tiers.curve_tier as engagement_tier
    from pressured
    inner join curve_tiers
        on pressured.customer_id = curve_tiers.customer_id
    where
        pressured.delivered_at is not null
        and pressured.sent_at > {{ window_start }}

)

select * from final
