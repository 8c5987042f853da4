-- One row per message sent on any channel (the contact history), under the customer its
-- identifier belongs to now: int_engagement_messages keeps the identifier, this joins
-- it to customer_identifiers, so after a merge the surviving id owns both histories.
-- A message to a shared identifier (a household email) or a junk one keeps its row
-- with no customer and is_shared_identifier / is_junk_identifier set.
-- Incremental (delete+insert on contact_id): a build rewrites the rows of the messages
-- int_engagement_messages wrote since this model's previous build (their built_at
-- after its own, read first), of the stored rows whose customer is another now (among
-- the identifiers the identity batches after the one it read rewrote:
-- resolved_batch_id), and, when the seeds changed since (seeds_checksum), of the rows
-- whose campaign or engagement rule did. Every
-- message's identifier has a customer_identifiers row (its own event is evidence),
-- so a merged-away customer id leaves with the rewrite of its identifiers. An as_of
-- earlier than the previous build's rebuilds it whole; Spark builds it whole.
{{ config(
    materialized=chorus_incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='contact_id',
    on_schema_change='fail',
    chorus_as_of_incremental=true,
) }}

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
{% set seeds_checksum = chorus_seeds_checksum([('campaigns', 'campaign_id'), ('channel_policy', 'channel')]) %}

with

identifiers as (

    select
        identifier_type,
        identifier_value,
        customer_id,
        is_shared,
        is_junk
    from {{ ref('customer_identifiers') }}

),

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

{#- the previous build's watermarks, as constants -#}
{%- set previous = chorus_build_watermarks() -%}

rewritten as (

    {% if previous.built_at is none or previous.identity_batch_id is none %}
        select contact_id from {{ ref('int_engagement_messages') }}
    {% else %}
        -- messages int_engagement_messages wrote since this model's previous build
        select contact_id
        from {{ ref('int_engagement_messages') }}
        where built_at > cast('{{ previous.built_at }}' as {{ dbt.type_timestamp() }})
        union
        -- stored rows whose customer, or shared or junk flag, is another now: among the
        -- identifiers the identity batches after the one they were resolved with wrote
        -- (customer_identifiers itself, not the identifiers CTE: a CTE read twice is
        -- materialized whole, and the batch filter would not reach the scan)
        select stored.contact_id
        from {{ this }} as stored
        inner join {{ ref('customer_identifiers') }} as identifiers
            on
                stored.identifier_type = identifiers.identifier_type
                and stored.identifier_value = identifiers.identifier_value
        where
            identifiers.resolved_batch_id > {{ previous.identity_batch_id }}
            and (
                stored.customer_id is distinct from identifiers.customer_id
                or stored.is_shared_identifier
                is distinct from coalesce(identifiers.is_shared, false)
                or stored.is_junk_identifier
                is distinct from coalesce(identifiers.is_junk, false)
            )
        {% if previous.seeds_checksum != seeds_checksum %}
            union
            -- the seeds changed since: stored rows whose campaign or engagement rule did
            select stored.contact_id
            from {{ this }} as stored
            left join campaigns
                on stored.campaign_id = campaigns.campaign_id
            left join channel_rules
                on stored.channel = channel_rules.channel
            where
                {% for column in campaign_columns -%}
                    stored.{{ column }} is distinct from campaigns.{{ column }} or
                {% endfor -%}
                stored.engaged_at
                is distinct from {{ engaged_at_rule | replace('MESSAGE', 'stored') }}
        {% endif %}
    {% endif %}

),

{% endif %}

messages as (

    select * from {{ ref('int_engagement_messages') }}
    {% if is_incremental() -%}
        where contact_id in (select contact_id from rewritten)
    {%- endif %}

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
        messages.delivered_at,
        messages.opened_at,
        messages.clicked_at,
        messages.replied_at,
        messages.bounced_at,
        messages.complained_at,
        messages.unsubscribed_at,
        messages.dismissed_at,
        messages.outcome,
        -- the channel's engagement_event (channel_policy): what counts as engaging
        {{ engaged_at_rule | replace('MESSAGE', 'messages') }} as engaged_at,
        case
            when campaigns.objective = 'transactional' then 'transactional'
            else 'marketing'
        end as purpose,
        coalesce(identifiers.is_shared, false) as is_shared_identifier,
        coalesce(identifiers.is_junk, false) as is_junk_identifier,
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
