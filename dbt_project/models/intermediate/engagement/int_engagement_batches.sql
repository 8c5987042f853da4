-- One row per engagement batch (model_name = 'int_engagement_batches', written here) and
-- one per per-customer or fit model that built it (written by that model's post-hook,
-- chorus_scope_progress). A batch is one build of the engagement and customer models;
-- this model numbers it and decides its mode for all of them
-- (macros/engagement/chorus_engagement_batch.sql):
--   full         the first build; --full-refresh; a new fit period (var
--                chorus_engagement_fit_days) or no stored fit for it; var
--                chorus_engagement_refit; the settings changed (settings_checksum: the
--                channel_policy and suppression_rules seeds, the engagement vars, the
--                models' code); as_of earlier than the previous batch's; a full identity
--                batch since the previous one; an engine without row deletes (Spark).
--   incremental  otherwise: the per-customer models rewrite only int_engagement_scope.
-- It also records what the next batch's scope is measured from: as_of, the invocation's
-- start (rows the event models write carry it as built_at), the identity batch the
-- models read and the latest load of the tables the loader replaces rows of.
-- Append-only: --full-refresh starts a full batch but keeps the history.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

-- depends_on: {{ ref('customer_identifiers') }}
-- depends_on: {{ ref('channel_policy') }}
-- depends_on: {{ ref('suppression_rules') }}

{% set previous = none %}
{% set checksum = '' %}
{% set fit_key = none %}
{% set fit_stored = false %}
{% set identity_full_since = false %}
{% if chorus_is_building() %}
    {% set checksum = chorus_engagement_settings_checksum() %}
    {% set fit_key = chorus_engagement_fit_period(chorus_as_of_text()) ~ '/' ~ checksum[:12] %}
    {% if is_incremental() %}
        {% set rows = run_query(
            "select batch_id, cast(as_of as " ~ dbt.type_string() ~ ") as as_of,"
            ~ " fit_key, settings_checksum, identity_batch_id from " ~ this
            ~ " where model_name = 'int_engagement_batches' order by batch_id desc limit 1"
        ).rows %}
        {% if rows | length > 0 %}
            {% set previous = rows[0] %}
            {% set identity_full_since = run_query(
                "select count(*) from " ~ ref('int_identity_batches')
                ~ " where model_name = 'int_identity_batches' and build_mode = 'full'"
                ~ " and batch_id > " ~ (previous['identity_batch_id'] | int)
            ).columns[0].values()[0] | int > 0 %}
        {% endif %}
    {% endif %}
    {#- the fit store, read as it is (it builds after this model) -#}
    {% set priors = chorus_stored_relation('int_engagement_priors') %}
    {% if priors is not none and 'fit_key' in (
        adapter.get_columns_in_relation(priors) | map(attribute='name') | map('lower') | list
    ) %}
        {% set fit_stored = run_query(
            "select count(*) from " ~ priors ~ " where fit_key = '" ~ fit_key ~ "'"
        ).columns[0].values()[0] | int > 0 %}
    {% endif %}
{% endif %}

with

identity as (

    select max(batch_id) as identity_batch_id
    from {{ ref('int_identity_batches') }}
    where model_name = 'int_identity_batches'

),

-- the latest load of the tables the scope reads rows of (int_engagement_scope): those
-- whose rows the loader replaces in place (an order refunded, a ticket rated, a CRM
-- record edited) and the chat and web events suppression rules react to; the next
-- batch's scope holds the customers of rows loaded after this
loads as (

    {% for model_name in [
        'stg_shop__orders', 'stg_shop__order_items', 'stg_support__tickets',
        'stg_crm__contacts', 'stg_chat__events', 'stg_web__events',
    ] -%}
        select max(_loaded_at) as loaded_through from {{ ref(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

header as (

    select
        {{ (previous['batch_id'] | int + 1) if previous else 1 }} as batch_id,
        {{ chorus_as_of() }} as as_of,
        {{ chorus_timestamp_literal(chorus_format_timestamp(run_started_at)) }} as started_at,
        identity.identity_batch_id,
        (select max(loads.loaded_through) from loads) as loaded_through,
        '{{ fit_key or '' }}' as fit_key,
        '{{ checksum }}' as settings_checksum
    from identity

),

final as (

    select
        batch_id,
        'int_engagement_batches' as model_name,
        case
            {% if previous is none or flags.FULL_REFRESH or not chorus_supports_row_delete()
                or var('chorus_engagement_refit', false) or identity_full_since
                or not fit_stored %}
                when true then 'full'
            {% endif %}
            {% if previous is not none %}
                when as_of < {{ chorus_timestamp_literal(previous['as_of']) }} then 'full'
                when settings_checksum <> '{{ previous['settings_checksum'] }}' then 'full'
                when fit_key <> '{{ previous['fit_key'] }}' then 'full'
            {% endif %}
            else 'incremental'
        end as build_mode,
        fit_key,
        as_of,
        started_at,
        identity_batch_id,
        loaded_through,
        settings_checksum,
        {{ dbt.current_timestamp() }} as recorded_at
    from header

)

select * from final
