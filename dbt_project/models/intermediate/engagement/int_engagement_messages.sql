-- One row per message on any channel (email, SMS, push, chat prompt): the identifier it
-- went to and when each outcome first happened. The identity-free half of `contacts`:
-- it keeps the identifier, not the customer, so a merge never rewrites it.
-- Incremental (delete+insert on contact_id): a build reads the events loaded since the
-- previous build (less var chorus_engagement_lookback_hours) or dated after its as_of,
-- and folds them into the stored rows of their messages, so an open loaded days after
-- its send updates the send's row exactly as a full build would. An as_of earlier
-- than the previous build's rebuilds it whole (chorus_as_of_went_back); Spark builds it
-- whole every time (chorus_incremental_materialization).
{{ config(
    materialized=chorus_incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='contact_id',
    on_schema_change='fail',
    chorus_as_of_incremental=true,
) }}

{#- the outcomes after the send, each kept as its first time `<outcome>_at` (one list
    for the aggregate and for the stored rows an incremental build folds back in) -#}
{% set outcomes_after_send = [
    'delivered', 'opened', 'clicked', 'replied', 'bounced', 'complained',
    'unsubscribed', 'dismissed'
] %}

with

events as (

    select * from {{ ref('int_engagement_message_events') }}

),

{% if is_incremental() %}

{#- the previous build's watermarks, as constants: a constant filter reaches the raw
    tables' scans, which skip the row groups of earlier loads -#}
{%- set previous = chorus_build_watermarks() -%}
{%- set loaded_through = previous.loaded_through -%}
{%- set built_as_of = previous.as_of -%}

{%- set new_events_sql -%}
    select * from {{ ref('int_engagement_message_events') }}
    {% if loaded_through is not none %}
        {%- set loaded_since -%}
            {{ dbt.dateadd(
                'hour',
                -var('chorus_engagement_lookback_hours'),
                "cast('" ~ loaded_through ~ "' as " ~ dbt.type_timestamp() ~ ")"
            ) }}
        {%- endset %}
        -- loaded since the previous build, or dated after its as_of: two branches with
        -- one range each, so each reaches the raw scan (an OR of two columns would not,
        -- and every stored event would be read and normalized)
        where _loaded_at > {{ loaded_since }}
        union all
        select * from {{ ref('int_engagement_message_events') }}
        where
            occurred_at > cast('{{ built_as_of }}' as {{ dbt.type_timestamp() }})
            and _loaded_at <= {{ loaded_since }}
    {% endif %}
{%- endset %}
{#- a work table (int_engagement_messages__new_events), so the planner knows how few
    they are when it joins their messages with the stored rows -#}
{%- set new_events_table = chorus_work_table('new_events', new_events_sql) -%}

new_events as (

    {% if new_events_table is none -%}
        {{ new_events_sql }}
    {%- else -%}
        select * from {{ new_events_table }}
    {%- endif %}

),

touched as (

    select distinct
        channel,
        message_id
    from new_events

),

stored as (

    -- a semi join: the hash table holds the touched keys, not the stored rows (a join
    -- whose sides the planner misjudged hashed every stored row)
    select *
    from {{ this }}
    where (channel, message_id) in (select touched.channel, touched.message_id from touched)

),

-- each stored row of a touched message as the events it sums up: one per outcome time
-- it holds and one at its latest event, all with the row's identifier and campaign
-- (those of its send; of its earliest event while the send is missing). Aggregated
-- with the new events, they give what all of the message's events would: every time
-- is a min or a max, and the row's identifier wins or loses against a new event by
-- the same order as the event it came from.
stored_events as (

    {% for outcome in ['sent'] + outcomes_after_send + ['latest'] -%}
        {%- set column = {'sent': 'sent_at', 'latest': 'last_event_at'}.get(
            outcome, outcome ~ '_at'
        ) -%}
        select
            channel,
            message_id,
            campaign_id,
            identifier_type,
            identifier_value,
            '{{ outcome }}' as outcome,
            {{ column }} as occurred_at,
            last_loaded_at as _loaded_at
        from stored
        where
            {{ column }} is not null
            {%- if outcome == 'sent' %} and not is_send_missing{% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

in_scope as (

    select
        channel,
        message_id,
        campaign_id,
        identifier_type,
        identifier_value,
        outcome,
        occurred_at,
        _loaded_at
    from new_events
    union all
    select * from stored_events

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
        -- has exactly one send event (nearly all do; any value is that one), else in
        -- `addressed` below
        count(*) filter (where outcome = 'sent') as send_events,
        {{ chorus_any_value('campaign_id') }} filter (where outcome = 'sent') as send_campaign_id,
        {{ chorus_any_value('identifier_type') }} filter (where outcome = 'sent')
            as send_identifier_type,
        {{ chorus_any_value('identifier_value') }} filter (where outcome = 'sent')
            as send_identifier_value,
        min(occurred_at) filter (where outcome = 'sent') as sent_event_at,
        min(occurred_at) as first_event_at,
        {% for outcome in outcomes_after_send -%}
            min(occurred_at) filter (where outcome = '{{ outcome }}') as {{ outcome }}_at,
        {% endfor %}
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
        {{ chorus_as_of() }} as built_as_of,
        {{ chorus_built_at() }} as built_at
    from outcomes
    left join addressed
        on
            outcomes.channel = addressed.channel
            and outcomes.message_id = addressed.message_id

)

select * from final
