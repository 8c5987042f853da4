-- One row per identity batch (model_name = 'int_identity_batches', written here) and one
-- per batched model that built it (written by that model's post-hook,
-- chorus_identity_progress). A batch is one build of the identity models; this model
-- numbers it and decides its mode for all of them (macros/identity/chorus_identity_batch.sql):
--   full         the first build; --full-refresh; var chorus_identity_incremental false;
--                an engine without the delete the regions need (Spark, see
--                chorus_identity_supports_incremental); as_of earlier
--                than the previous batch's (evidence would have to be taken back); the
--                identity seeds, settings or model code changed (settings_checksum: a
--                new Chorus version rebuilds identity whole, no --full-refresh needed);
--                or a batched model did not build the previous batch (a failed or partial
--                build).
--   incremental  otherwise: only evidence loaded or dated after the previous batch.
-- Append-only: --full-refresh starts a full batch but keeps the history.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

{% set previous = none %}
{% set behind = [] %}
{% if chorus_is_building() and is_incremental() %}
    {% set rows = run_query(
        "select batch_id, cast(as_of as " ~ dbt.type_string() ~ ") as as_of, settings_checksum"
        ~ " from " ~ this ~ " where model_name = 'int_identity_batches'"
        ~ " order by batch_id desc limit 1"
    ).rows %}
    {% if rows | length > 0 %}
        {% set previous = rows[0] %}
        {% set built = run_query(
            "select model_name from " ~ this ~ " where batch_id = " ~ previous['batch_id']
        ).columns[0].values() %}
        {% for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.get('chorus_identity_batched')
            and node.name not in built %}
            {% do behind.append(node.name) %}
        {% endfor %}
    {% endif %}
{% endif %}

with

rules as (

    select * from {{ ref('identity_rules') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

{% set evidence_sources = [
    ('stg_crm__contacts', 'updated_at'),
    ('stg_web__events', 'occurred_at'),
    ('stg_app__events', 'occurred_at'),
    ('stg_shop__orders', 'ordered_at'),
    ('stg_chat__events', 'occurred_at'),
    ('stg_support__tickets', 'opened_at'),
    ('stg_consent__events', 'occurred_at'),
    ('stg_email__events', 'occurred_at'),
    ('stg_sms__events', 'occurred_at'),
    ('stg_push__events', 'occurred_at'),
    ('stg_ads__events', 'occurred_at'),
] %}

{% set staging_relations = [] %}
{% for model_name, time_column in evidence_sources %}
    {% do staging_relations.append(ref(model_name)) %}
{% endfor %}
{% do chorus_identity_check_staging_as_of(staging_relations) %}

-- the last load the batch reads: rows loaded while the identity models build wait for
-- the next batch, so no row is read twice or missed
loads as (

    {% for model_name, time_column in evidence_sources -%}
        select max(_loaded_at) as loaded_through from {{ ref(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- what the identity answer depends on besides the evidence: the seeds and settings
settings as (

    select
        {{ dbt.hash(chorus_ordered_string_agg(
            dbt.concat([
                "'rule'", "'|'", 'identifier_type', "'|'", "cast(priority as " ~ dbt.type_string() ~ ")",
                "'|'", "coalesce(counted_by, '')",
                "'|'", "coalesce(cast(max_at_once as " ~ dbt.type_string() ~ "), '')",
                "'|'", "coalesce(cast(max_over_time as " ~ dbt.type_string() ~ "), '')",
                "'|'", "coalesce(cast(handover_days as " ~ dbt.type_string() ~ "), '')",
            ]),
            "';'",
            ['identifier_type', 'counted_by'],
        )) }} as rules_checksum
    from rules

),

blocked as (

    select
        {{ dbt.hash(chorus_ordered_string_agg(
            dbt.concat([
                'identifier_type', "'|'", 'match_type', "'|'", 'pattern',
            ]),
            "';'",
            ['identifier_type', 'match_type', 'pattern'],
        )) }} as blocklist_checksum
    from blocklist

),

header as (

    select
        {{ (previous['batch_id'] | int + 1) if previous else 1 }} as batch_id,
        {{ chorus_as_of() }} as as_of,
        {% if var('chorus_identity_loaded_through', none) -%}
            -- pinned (a scratch build that must read what another batch read)
            {{ chorus_timestamp_literal(var('chorus_identity_loaded_through')) }} as loaded_through,
        {%- else -%}
            (select max(loads.loaded_through) from loads) as loaded_through,
        {%- endif %}
        {{ dbt.hash(dbt.concat([
            'settings.rules_checksum', "'|'", 'blocked.blocklist_checksum', "'|'",
            "'" ~ var('chorus_default_country') ~ "'", "'|'",
            "'" ~ var('chorus_identity_bridge_max_cluster_size', 1000) ~ "'", "'|'",
            "'" ~ chorus_identity_code_checksum() ~ "'",
        ])) }} as settings_checksum
    from settings
    cross join blocked

),

final as (

    select
        batch_id,
        'int_identity_batches' as model_name,
        case
            {% if previous is none %}
                when true then 'full'
            {% endif %}
            {% if flags.FULL_REFRESH %}
                when true then 'full'
            {% endif %}
            {% if not var('chorus_identity_incremental', true)
                or not chorus_identity_supports_incremental() %}
                when true then 'full'
            {% endif %}
            {% if behind | length > 0 %}
                -- did not build batch {{ previous['batch_id'] }}: {{ behind | join(', ') }}
                when true then 'full'
            {% endif %}
            {% if previous is not none %}
                when as_of < {{ chorus_timestamp_literal(previous['as_of']) }} then 'full'
                when settings_checksum <> '{{ previous['settings_checksum'] }}' then 'full'
            {% endif %}
            else 'incremental'
        end as build_mode,
        as_of,
        loaded_through,
        settings_checksum,
        {{ dbt.current_timestamp() }} as recorded_at
    from header

)

select * from final
