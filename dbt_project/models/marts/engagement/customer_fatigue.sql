-- One row per customer: how tired of messages they are (fatigue_score, 0..1), how many
-- marketing messages a week they should get (weekly_cap) and how many are left this
-- week (remaining_budget), with every input beside them.
-- fatigue_score = min(1, the weighted sum of five signals, each 0..1; weights are the
-- vars chorus_fatigue_weight_*):
--   pressure   contacts in the trailing 28 days on all channels, over 4 weeks at the
--              tier's cap (1 at or above it);
--   decline    how far the engagement rate of the last 28 days fell below the
--              customer's own before it (1 - recent / baseline, 0 if it rose), when both
--              periods have var chorus_fatigue_trend_min_messages messages;
--   unsubscribe_page  a visit to the unsubscribe page in the last 28 days;
--   complaint  a complaint (spam report, ticket, chat) in the last 90 days;
--   slowdown   how much slower they respond than before (recent / baseline hours from
--              delivery to engagement, less 1, at most 1), with an engagement in both.
-- weekly_cap = the engagement tier's cap (fatigue_curve), times
--   1 - fatigue_score * var chorus_fatigue_cap_reduction, rounded to the nearest whole
--   message (rounded down, any fatigue at all cost a whole message: a customer sent
--   their cap a month lost one), times the share of the customer's marketing contacts
--   of the last 90 days on channels they still consent to and can be reached on (an
--   opt-out or a hard bounce takes that channel's volume away rather than moving it to
--   the others), rounded down, at least var chorus_fatigue_min_weekly_cap while any
--   channel is left, 0 when none is.
-- A customer without history is in the medium tier, with the whole share; a tier the
-- curve has no data for yet (a business with a short history) has var
-- chorus_fatigue_default_weekly_cap.
-- The engagement tier: where the customer's base rate (their smoothed rates averaged
-- over their channels, weighted by messages delivered) falls among the current fit's
-- tier limits (int_fatigue_tiers).
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope (a message leaving one of the windows puts its customer there).
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons='all',
) }}

{% set double = chorus_type_double() %}
{% set as_of = chorus_as_of() %}
{#- the trailing windows, in days (one place: int_engagement_scope reads them too) -#}
{% set windows = chorus_fatigue_windows() %}
{% set week_start = dbt.dateadd('day', -windows['week'], as_of) %}
{% set recent_start = dbt.dateadd('day', -windows['recent'], as_of) %}
{% set history_start = dbt.dateadd('day', -windows['history'], as_of) %}

with

scoped_engagement as (

    select * from {{ ref('customer_engagement') }}
    where {{ chorus_in_scope('customer_id') }}

),

customer_list as (

    select customer_id from {{ ref('int_customer_profiles') }}
    where {{ chorus_in_scope('customer_id') }}

),

policy as (

    select * from {{ ref('channel_policy') }}

),

marketing as {{ chorus_not_materialized() }} (

    select
        contacts.customer_id,
        contacts.channel,
        contacts.sent_at,
        contacts.delivered_at,
        contacts.engaged_at
    from {{ ref('contacts') }} as contacts
    inner join policy
        on contacts.channel = policy.channel
    where
        {{ chorus_is_marketing_contact() }}
        and {{ chorus_in_scope('contacts.customer_id') }}

),

windows as (

    select
        customer_id,
        cast(sum(case
            when sent_at > {{ week_start }} then 1 else 0
        end) as bigint) as contacts_last_7d,
        cast(sum(case
            when sent_at > {{ recent_start }} then 1 else 0
        end) as bigint) as contacts_last_28d,
        cast(sum(case
            when sent_at > {{ recent_start }} and delivered_at is not null
                then 1
            else 0
        end) as bigint) as recent_delivered,
        cast(sum(case
            when sent_at > {{ recent_start }} and engaged_at is not null
                then 1
            else 0
        end) as bigint) as recent_engaged,
        cast(sum(case
            when sent_at <= {{ recent_start }} and delivered_at is not null
                then 1
            else 0
        end) as bigint) as baseline_delivered,
        cast(sum(case
            when sent_at <= {{ recent_start }} and engaged_at is not null
                then 1
            else 0
        end) as bigint) as baseline_engaged,
        -- mean response times from whole seconds summed exactly: an average of doubles
        -- depends on the order parallel threads add them in (a rebuild would differ in
        -- the last digits)
        cast(sum(case
            when
                sent_at > {{ recent_start }}
                and engaged_at is not null
                and delivered_at is not null
                then
                    {{ chorus_epoch_seconds('engaged_at') }}
                    - {{ chorus_epoch_seconds('delivered_at') }}
        end) as {{ double }}) / (3600 * nullif(sum(case
            when
                sent_at > {{ recent_start }}
                and engaged_at is not null
                and delivered_at is not null
                then 1
            else 0
        end), 0)) as recent_response_hours,
        cast(sum(case
            when
                sent_at <= {{ recent_start }}
                and engaged_at is not null
                and delivered_at is not null
                then
                    {{ chorus_epoch_seconds('engaged_at') }}
                    - {{ chorus_epoch_seconds('delivered_at') }}
        end) as {{ double }}) / (3600 * nullif(sum(case
            when
                sent_at <= {{ recent_start }}
                and engaged_at is not null
                and delivered_at is not null
                then 1
            else 0
        end), 0)) as baseline_response_hours
    from marketing
    group by 1

),

consent_flags as (

    select * from {{ ref('int_customer_consent_flags') }}
    where {{ chorus_in_scope('customer_id') }}

),

channel_share as (

    select
        marketing.customer_id,
        cast(sum(case
            {% for channel in chorus_channels('contact') -%}
                when
                    marketing.channel = '{{ channel }}'
                    and consent_flags.is_{{ channel }}_consented
                    and consent_flags.is_{{ channel }}_reachable
                    then 1
            {% endfor -%}
            else 0
        end) as {{ double }}) / count(*) as open_channel_share
    from marketing
    inner join consent_flags
        on marketing.customer_id = consent_flags.customer_id
    where marketing.sent_at > {{ history_start }}
    group by 1

),

open_channels as (

    select
        customer_id,
        open_contact_channels as open_channels
    from consent_flags

),

triggers as (

    select
        customer_id,
        max(case
            when
                trigger_event = 'unsubscribe_page_view'
                and occurred_at > {{ recent_start }} then 1
            else 0
        end) as visited_unsubscribe_page,
        max(case
            when
                trigger_event = 'complaint'
                and occurred_at > {{ history_start }} then 1
            else 0
        end) as complained
    from {{ ref('int_engagement_triggers') }}
    where
        trigger_event in ('unsubscribe_page_view', 'complaint')
        and {{ chorus_in_scope('customer_id') }}
    group by 1

),

base_rates as (

    {{ chorus_fatigue_base_rates('scoped_engagement') }}

),

tier_limits as (

    select
        max(case when engagement_tier = 'high' then min_base_rate end) as high_min_rate,
        max(case when engagement_tier = 'medium' then min_base_rate end) as medium_min_rate
    from {{ ref('int_fatigue_tiers') }}
    where {{ chorus_current_fit() }}

),

tiers as (

    select
        base_rates.customer_id,
        case
            when base_rates.base_rate >= tier_limits.high_min_rate then 'high'
            when base_rates.base_rate >= tier_limits.medium_min_rate then 'medium'
            else 'light'
        end as engagement_tier
    from base_rates
    cross join tier_limits

),

tier_caps as (

    select distinct
        engagement_tier,
        tier_weekly_cap
    from {{ ref('fatigue_curve') }}

),

signals as (

    select
        customer_list.customer_id,
        coalesce(tiers.engagement_tier, 'medium') as engagement_tier,
        coalesce(tier_caps.tier_weekly_cap, {{ var('chorus_fatigue_default_weekly_cap') }})
            as tier_weekly_cap,
        coalesce(windows.contacts_last_7d, cast(0 as bigint)) as contacts_last_7d,
        coalesce(windows.contacts_last_28d, cast(0 as bigint)) as contacts_last_28d,
        case
            when windows.recent_delivered >= {{ var('chorus_fatigue_trend_min_messages') }}
                then cast(windows.recent_engaged as {{ double }}) / windows.recent_delivered
        end as recent_engagement_rate,
        case
            when windows.baseline_delivered >= {{ var('chorus_fatigue_trend_min_messages') }}
                then cast(windows.baseline_engaged as {{ double }}) / windows.baseline_delivered
        end as baseline_engagement_rate,
        windows.recent_response_hours,
        windows.baseline_response_hours,
        coalesce(triggers.visited_unsubscribe_page, 0) = 1 as visited_unsubscribe_page,
        coalesce(triggers.complained, 0) = 1 as complained_recently,
        coalesce(channel_share.open_channel_share, 1.0) as open_channel_share,
        coalesce(open_channels.open_channels, cast(0 as bigint)) as open_channels
    from customer_list
    left join tiers
        on customer_list.customer_id = tiers.customer_id
    left join tier_caps
        on coalesce(tiers.engagement_tier, 'medium') = tier_caps.engagement_tier
    left join windows
        on customer_list.customer_id = windows.customer_id
    left join triggers
        on customer_list.customer_id = triggers.customer_id
    left join channel_share
        on customer_list.customer_id = channel_share.customer_id
    left join open_channels
        on customer_list.customer_id = open_channels.customer_id

),

components as (

    select
        *,
        least(cast(contacts_last_28d as {{ double }}) / (4 * tier_weekly_cap), 1.0)
            as pressure_signal,
        case
            when baseline_engagement_rate > 0 and recent_engagement_rate is not null
                then greatest(1 - recent_engagement_rate / baseline_engagement_rate, 0.0)
            else 0.0
        end as decline_signal,
        case when visited_unsubscribe_page then 1.0 else 0.0 end as unsubscribe_page_signal,
        case when complained_recently then 1.0 else 0.0 end as complaint_signal,
        case
            when baseline_response_hours > 0 and recent_response_hours is not null
                then least(greatest(recent_response_hours / baseline_response_hours - 1, 0.0), 1.0)
            else 0.0
        end as slowdown_signal
    from signals

),

scored as (

    select
        *,
        least(
            {{ var('chorus_fatigue_weight_pressure') }} * pressure_signal
            + {{ var('chorus_fatigue_weight_decline') }} * decline_signal
            + {{ var('chorus_fatigue_weight_unsubscribe_page') }} * unsubscribe_page_signal
            + {{ var('chorus_fatigue_weight_complaint') }} * complaint_signal
            + {{ var('chorus_fatigue_weight_slowdown') }} * slowdown_signal,
            1.0
        ) as fatigue_score
    from components

),

capped as (

    select
        *,
        case
            when open_channels = 0 then 0
            -- the fatigued cap to the nearest whole message (rounded as a decimal: the
            -- engines round a double's halves apart), then the channels' share rounded
            -- down, so that a lost channel always takes its volume away
            else greatest(
                cast(floor(
                    round(cast(
                        tier_weekly_cap
                        * (1 - fatigue_score * {{ var('chorus_fatigue_cap_reduction') }})
                        as decimal(18, 6)
                    ))
                    * open_channel_share
                ) as integer),
                {{ var('chorus_fatigue_min_weekly_cap') }}
            )
        end as weekly_cap
    from scored

),

final as (

    select
        customer_id,
        cast(fatigue_score as {{ double }}) as fatigue_score,
        cast(weekly_cap as integer) as weekly_cap,
        contacts_last_7d,
        cast(greatest(weekly_cap - contacts_last_7d, 0) as bigint) as remaining_budget,
        contacts_last_28d,
        engagement_tier,
        cast(tier_weekly_cap as integer) as tier_weekly_cap,
        cast(open_channel_share as {{ double }}) as open_channel_share,
        open_channels,
        cast(recent_engagement_rate as {{ double }}) as recent_engagement_rate,
        cast(baseline_engagement_rate as {{ double }}) as baseline_engagement_rate,
        cast(recent_response_hours as {{ double }}) as recent_response_hours,
        cast(baseline_response_hours as {{ double }}) as baseline_response_hours,
        visited_unsubscribe_page,
        complained_recently,
        cast(pressure_signal as {{ double }}) as pressure_signal,
        cast(decline_signal as {{ double }}) as decline_signal,
        cast(unsubscribe_page_signal as {{ double }}) as unsubscribe_page_signal,
        cast(complaint_signal as {{ double }}) as complaint_signal,
        cast(slowdown_signal as {{ double }}) as slowdown_signal
    from capped

)

select * from final
