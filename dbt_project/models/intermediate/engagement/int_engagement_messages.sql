-- One row per message on any channel (email, SMS, push, chat prompt): the identifier it
-- went to and when each outcome first happened. The identity-free half of `contacts`:
-- it keeps the identifier, not the customer, so a merge never rewrites it.
-- Incremental (delete+insert on contact_id): a build re-reads every message that has an
-- event loaded since the previous build (less var chorus_engagement_lookback_hours) or
-- dated after its as_of, from all of that message's events, so an open loaded days
-- after its send updates the send's row exactly as a full build would. An as_of earlier
-- than the previous build's rebuilds it whole (chorus_as_of_went_back); Spark builds it
-- whole every time (chorus_incremental_materialization).
{{ config(
    materialized=chorus_incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='contact_id',
    on_schema_change='fail',
    chorus_as_of_incremental=true,
) }}

with

events as (

    select * from {{ ref('int_engagement_message_events') }}

),

{% if is_incremental() %}

previous as (

    select
        max(last_loaded_at) as loaded_through,
        max(built_as_of) as built_as_of
    from {{ this }}

),

touched as (

    select distinct
        events.channel,
        events.message_id
    from events
    cross join previous
    where
        events._loaded_at > {{ dbt.dateadd(
            'hour', -var('chorus_engagement_lookback_hours'), 'previous.loaded_through'
        ) }}
        or events.occurred_at > previous.built_as_of

),

in_scope as (

    select events.*
    from events
    inner join touched
        on
            events.channel = touched.channel
            and events.message_id = touched.message_id

),

{% else %}

    in_scope as (

        select * from events

    ),

{% endif %}

outcomes as (

    select
        channel,
        message_id,
        -- the identifier and campaign of the send itself: read here when the message
        -- has exactly one send event (nearly all do), else in `addressed` below
        count(case when outcome = 'sent' then 1 end) as send_events,
        min(case when outcome = 'sent' then campaign_id end) as send_campaign_id,
        min(case when outcome = 'sent' then identifier_type end) as send_identifier_type,
        min(case when outcome = 'sent' then identifier_value end) as send_identifier_value,
        min(case when outcome = 'sent' then occurred_at end) as sent_event_at,
        min(occurred_at) as first_event_at,
        min(case when outcome = 'delivered' then occurred_at end) as delivered_at,
        min(case when outcome = 'opened' then occurred_at end) as opened_at,
        min(case when outcome = 'clicked' then occurred_at end) as clicked_at,
        min(case when outcome = 'replied' then occurred_at end) as replied_at,
        min(case when outcome = 'bounced' then occurred_at end) as bounced_at,
        min(case when outcome = 'complained' then occurred_at end) as complained_at,
        min(case when outcome = 'unsubscribed' then occurred_at end) as unsubscribed_at,
        min(case when outcome = 'dismissed' then occurred_at end) as dismissed_at,
        max(occurred_at) as last_event_at,
        max(_loaded_at) as last_loaded_at
    from in_scope
    group by 1, 2

),

ranked as (

    -- a message with no send event yet, or with several (a provider's retry): the
    -- identifier and campaign of its first send, before any send has arrived those of
    -- its earliest event
    select
        in_scope.channel,
        in_scope.message_id,
        in_scope.campaign_id,
        in_scope.identifier_type,
        in_scope.identifier_value,
        row_number() over (
            partition by in_scope.channel, in_scope.message_id
            order by
                case when in_scope.outcome = 'sent' then 0 else 1 end,
                in_scope.occurred_at,
                in_scope.identifier_value
        ) as event_rank
    from in_scope
    inner join outcomes
        on
            in_scope.channel = outcomes.channel
            and in_scope.message_id = outcomes.message_id
    where outcomes.send_events <> 1

),

addressed as (

    select
        channel,
        message_id,
        campaign_id,
        identifier_type,
        identifier_value
    from ranked
    where event_rank = 1

),

final as (

    select
        {{ dbt.concat(["outcomes.channel", "'-'", "outcomes.message_id"]) }} as contact_id,
        outcomes.channel,
        outcomes.message_id,
        case
            when outcomes.send_events = 1 then outcomes.send_campaign_id
            else addressed.campaign_id
        end as campaign_id,
        case
            when outcomes.send_events = 1 then outcomes.send_identifier_type
            else addressed.identifier_type
        end as identifier_type,
        case
            when outcomes.send_events = 1 then outcomes.send_identifier_value
            else addressed.identifier_value
        end as identifier_value,
        coalesce(outcomes.sent_event_at, outcomes.first_event_at) as sent_at,
        outcomes.sent_event_at is null as is_send_missing,
        outcomes.delivered_at,
        outcomes.opened_at,
        outcomes.clicked_at,
        outcomes.replied_at,
        outcomes.bounced_at,
        outcomes.complained_at,
        outcomes.unsubscribed_at,
        outcomes.dismissed_at,
        -- the furthest the message got, most telling first
        case
            when outcomes.complained_at is not null then 'complained'
            when outcomes.unsubscribed_at is not null then 'unsubscribed'
            when outcomes.replied_at is not null then 'replied'
            when outcomes.clicked_at is not null then 'clicked'
            when outcomes.opened_at is not null then 'opened'
            when outcomes.dismissed_at is not null then 'dismissed'
            when outcomes.bounced_at is not null then 'bounced'
            when outcomes.delivered_at is not null then 'delivered'
            else 'sent'
        end as outcome,
        outcomes.last_event_at,
        outcomes.last_loaded_at,
        {{ chorus_as_of() }} as built_as_of
    from outcomes
    left join addressed
        on
            outcomes.channel = addressed.channel
            and outcomes.message_id = addressed.message_id

)

select * from final
