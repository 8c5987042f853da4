-- One row per message sent on any channel (the contact history): the identifier it went
-- to, when each outcome first happened, the campaign's fields, and the customer the
-- identifier belongs to now (customer_identifiers), so after a merge the surviving id
-- owns both histories. A message to a shared identifier (a household email) or a junk
-- one keeps its row with no customer and is_shared_identifier / is_junk_identifier set.
-- A message's events (int_engagement_message_events) are aggregated into one row: its
-- send decides the identifier and campaign, every outcome keeps its first time.
-- Incremental (delete+insert on contact_id): a build reads the events loaded since the
-- previous build (less var chorus_engagement_lookback_hours) or dated after its as_of,
-- and folds them into the stored rows of their messages, so an open loaded days after
-- its send updates the send's row exactly as a full build would; it also rewrites the
-- stored rows whose customer is another now (among the identifiers the identity batches
-- after the one it read rewrote: resolved_batch_id) and, when the seeds changed since
-- (seeds_checksum), those whose campaign or engagement rule did. Every message's
-- identifier has a customer_identifiers row (its own event is evidence), so a
-- merged-away customer id leaves with the rewrite of its identifiers. An as_of earlier
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
{#- the columns of a message, before identity and campaigns join it -#}
{% set message_columns = [
    'contact_id', 'channel', 'message_id', 'campaign_id', 'identifier_type',
    'identifier_value', 'sent_at', 'is_send_missing',
] %}
{% for outcome in outcomes_after_send %}
    {% do message_columns.append(outcome ~ '_at') %}
{% endfor %}
{% do message_columns.extend(['outcome', 'last_event_at', 'last_loaded_at']) %}
{#- what engaging is on a message's channel (channel_policy.engagement_event); MESSAGE
    names the relation holding the outcome times -#}
{%- set engaged_at_rule -%}
    case channel_rules.engagement_event
        when 'opened' then coalesce(MESSAGE.opened_at, MESSAGE.clicked_at)
        when 'clicked' then MESSAGE.clicked_at
        when 'replied' then MESSAGE.replied_at
    end
{%- endset %}
{% set campaign_columns = ['objective', 'topic', 'promotion_family', 'offer_code'] %}
{% set seeds_checksum = chorus_seeds_checksum(
    [('campaigns', 'campaign_id'), ('channel_policy', 'channel')]
) %}

with

campaigns as (

    select * from {{ ref('campaigns') }}

),

channel_rules as (

    select
        channel,
        engagement_event
    from {{ ref('channel_policy') }}

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
{#- a work table (contacts__new_events), so the planner knows how few they are when
    it joins their messages with the stored rows -#}
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

-- stored rows whose customer, or shared or junk flag, is another now (among the
-- identifiers the identity batches after the one they were resolved with rewrote), or,
-- when the seeds changed since, whose campaign or engagement rule did: rewritten from
-- their stored message columns (unless new events touched them too)
restated as (

    select previous_rows.contact_id
    from {{ this }} as previous_rows
    inner join {{ ref('customer_identifiers') }} as identifiers
        on
            previous_rows.identifier_type = identifiers.identifier_type
            and previous_rows.identifier_value = identifiers.identifier_value
    where
        identifiers.resolved_batch_id > {{ previous.identity_batch_id or 0 }}
        and (
            previous_rows.customer_id is distinct from identifiers.customer_id
            or previous_rows.is_shared_identifier
            is distinct from coalesce(identifiers.is_shared, false)
            or previous_rows.is_junk_identifier
            is distinct from coalesce(identifiers.is_junk, false)
        )
    {% if previous.seeds_checksum != seeds_checksum %}
        union
        select previous_rows.contact_id
        from {{ this }} as previous_rows
        left join campaigns
            on previous_rows.campaign_id = campaigns.campaign_id
        left join channel_rules
            on previous_rows.channel = channel_rules.channel
        where
            {% for column in campaign_columns -%}
                previous_rows.{{ column }} is distinct from campaigns.{{ column }} or
            {% endfor -%}
            previous_rows.engaged_at
            is distinct from {{ engaged_at_rule | replace('MESSAGE', 'previous_rows') }}
    {% endif %}

),

-- the stored rows this build rewrites, read once: the touched messages' and the
-- restated ones (semi joins: the hash tables hold the few keys, not the stored rows)
stored_rows as (

    select
        *,
        (channel, message_id) in (select touched.channel, touched.message_id from touched)
            as is_touched
    from {{ this }}
    where
        (channel, message_id) in (select touched.channel, touched.message_id from touched)
        or contact_id in (select restated.contact_id from restated)

),

stored as (

    select * from stored_rows
    where is_touched

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

    -- read by two parts of the query: not copied (chorus_not_materialized)
    in_scope as {{ chorus_not_materialized() }} (

        select * from {{ ref('int_engagement_message_events') }}

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

aggregated as (

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
        {% for outcome in outcomes_after_send -%}
            outcomes.{{ outcome }}_at,
        {% endfor -%}
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
        outcomes.last_loaded_at
    from outcomes
    left join addressed
        on
            outcomes.channel = addressed.channel
            and outcomes.message_id = addressed.message_id

),

messages as (

    select * from aggregated
    {% if is_incremental() %}
        union all
        select
            {{ message_columns | join(',\n            ') }}
        from stored_rows
        where not is_touched
    {% endif %}

),

identifiers as (

    select
        identifier_type,
        identifier_value,
        customer_id,
        is_shared,
        is_junk
    from {{ ref('customer_identifiers') }}

),

final as (

    select
        messages.contact_id,
        identifiers.customer_id,
        messages.channel,
        messages.campaign_id,
        {% for column in campaign_columns -%}
            campaigns.{{ column }},
        {% endfor -%}
        messages.message_id,
        messages.identifier_type,
        messages.identifier_value,
        messages.sent_at,
        messages.is_send_missing,
        {% for outcome in outcomes_after_send -%}
            messages.{{ outcome }}_at,
        {% endfor -%}
        messages.outcome,
        -- the channel's engagement_event (channel_policy): what counts as engaging
        {{ engaged_at_rule | replace('MESSAGE', 'messages') }} as engaged_at,
        case
            when campaigns.objective = 'transactional' then 'transactional'
            else 'marketing'
        end as purpose,
        coalesce(identifiers.is_shared, false) as is_shared_identifier,
        coalesce(identifiers.is_junk, false) as is_junk_identifier,
        messages.last_event_at,
        messages.last_loaded_at,
        {{ chorus_as_of() }} as built_as_of,
        {{ chorus_built_at() }} as built_at,
        {{ chorus_latest_identity_batch() }} as identity_batch_id,
        '{{ seeds_checksum }}' as seeds_checksum
    from messages
    left join identifiers
        on
            messages.identifier_type = identifiers.identifier_type
            and messages.identifier_value = identifiers.identifier_value
    left join campaigns
        on messages.campaign_id = campaigns.campaign_id
    left join channel_rules
        on messages.channel = channel_rules.channel

)

select * from final
