-- One row per (customer, contact channel) that carried marketing messages in the last 7
-- days or is ramping back after a pause: how many more marketing messages the channel
-- may carry in this period, and when it carried the last one (the send queue spaces the
-- next one channel_policy.min_gap_hours after it). The channel's daily allowance
-- (chorus_daily_allowance: channel_policy.daily_max less the messages of the last 24
-- hours) and, while the channel ramps back, its share of the weekly cap less the
-- channel's messages of the last 7 days. Every other channel may carry its whole daily
-- maximum: readers take chorus_daily_allowance with nothing sent (at 1M customers 0.5M
-- rows here instead of 3.2M, one per consented channel, docs/DECISIONS.md "The send
-- queue at 1M").
-- The ramp: a channel is back when its marketing consent returned (an opt-in after an
-- opt-out, consent_history) or mail reached an address that had bounced (consent is
-- reachable again after last_bounced_at). From then it may carry ceil(weekly_cap *
-- (days back + 1) / chorus_channel_ramp_days) messages a week, growing to the whole cap.
{%- set ramp_start = dbt.dateadd('day', -var('chorus_channel_ramp_days'), chorus_as_of()) %}

with

policy as (

    select * from {{ ref('channel_policy') }}
    where is_contact

),

recent as (

    select
        customer_id,
        channel,
        count(case when sent_at > {{ dbt.dateadd('hour', -24, chorus_as_of()) }} then 1 end)
            as contacts_last_24h,
        count(*) as contacts_last_7d,
        max(sent_at) as last_sent_at
    from {{ ref('contacts') }}
    where
        customer_id is not null
        and purpose = 'marketing'
        and sent_at > {{ dbt.dateadd('day', -7, chorus_as_of()) }}
        and sent_at <= {{ chorus_as_of() }}
    group by 1, 2

),

opt_ins_after_opt_out as (

    select
        customer_id,
        channel,
        max(changed_at) as opted_back_in_at
    from {{ ref('consent_history') }}
    where purpose = 'marketing' and status = 'opted_in' and previous_status = 'opted_out'
    group by 1, 2

),

-- the channels messaged in the last 7 days or opted in again within the ramp's days (a
-- bounce within them is read off the consent row below)
messaged_or_back as (

    select
        customer_id,
        channel
    from recent
    union
    select
        customer_id,
        channel
    from opt_ins_after_opt_out
    where opted_back_in_at > {{ ramp_start }}

),

-- the consent of the channels that may be limited: those above, and those that bounced
-- within the ramp's days (consent may be reachable again)
consent as (

    select
        consent.customer_id,
        consent.channel,
        consent.is_consented,
        consent.is_reachable,
        consent.last_bounced_at
    from {{ ref('customer_consent') }} as consent
    left join messaged_or_back
        on
            consent.customer_id = messaged_or_back.customer_id
            and consent.channel = messaged_or_back.channel
    where
        consent.purpose = 'marketing'
        and (
            messaged_or_back.customer_id is not null
            or consent.last_bounced_at > {{ ramp_start }}
        )

),

base as (

    select
        consent.customer_id,
        consent.channel,
        policy.daily_max,
        fatigue.weekly_cap,
        recent.last_sent_at,
        coalesce(recent.contacts_last_24h, 0) as contacts_last_24h,
        coalesce(recent.contacts_last_7d, 0) as contacts_last_7d,
        case
            when consent.is_consented and consent.is_reachable then
                case
                    when
                        opt_ins_after_opt_out.opted_back_in_at is not null
                        and (
                            consent.last_bounced_at is null
                            or opt_ins_after_opt_out.opted_back_in_at > consent.last_bounced_at
                        )
                        then opt_ins_after_opt_out.opted_back_in_at
                    else consent.last_bounced_at
                end
        end as returned_at
    from consent
    inner join policy
        on consent.channel = policy.channel
    left join recent
        on consent.customer_id = recent.customer_id and consent.channel = recent.channel
    left join opt_ins_after_opt_out
        on
            consent.customer_id = opt_ins_after_opt_out.customer_id
            and consent.channel = opt_ins_after_opt_out.channel
    left join {{ ref('customer_fatigue') }} as fatigue
        on consent.customer_id = fatigue.customer_id
    where consent.is_consented or recent.customer_id is not null

),

days as (

    select
        *,
        -- whole days elapsed, from epoch seconds (the same on every engine)
        cast(floor(
            cast(
                {{ chorus_epoch_seconds(chorus_as_of()) }}
                - {{ chorus_epoch_seconds('returned_at') }}
                as {{ chorus_type_double() }}
            ) / 86400
        ) as {{ dbt.type_int() }}) as days_back
    from base

),

ramped as (

    select
        *,
        case
            when
                returned_at is not null
                and returned_at > {{ ramp_start }}
                then
                    cast(days_back + 1 as {{ chorus_type_double() }})
                    / {{ var('chorus_channel_ramp_days') }}
        end as ramp_share
    from days

),

final as (

    select
        customer_id,
        channel,
        daily_max,
        contacts_last_24h,
        contacts_last_7d,
        last_sent_at,
        returned_at,
        ramp_share,
        case
            when
                ramp_share is not null
                then cast(ceil(coalesce(weekly_cap, 0) * ramp_share) as {{ dbt.type_int() }})
        end
            as ramp_weekly_limit,
        greatest(
            least(
                {{ chorus_daily_allowance('daily_max', 'contacts_last_24h') }},
                case
                    when ramp_share is not null
                        then
                            cast(ceil(coalesce(weekly_cap, 0) * ramp_share) as {{ dbt.type_int() }})
                            - contacts_last_7d
                    else 1000000
                end
            ),
            0
        ) as allowance
    from ramped
    where contacts_last_7d > 0 or ramp_share is not null

)

select * from final
