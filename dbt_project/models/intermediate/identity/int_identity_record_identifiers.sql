-- One row per (record, identifier on it): which graph nodes each record of
-- int_identity_records holds, as integers (node_id = chorus_node_id, a hash of type and
-- value), so the shared-value counts, the edges and the bridges join numbers, and an
-- incremental batch finds the records of a node without unpivoting every record.
-- Batched: a record never changes its identifiers (they make its record_id), so a batch
-- only adds the rows of new records and deletes those of removed ones.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    post_hook=[
        "{{ chorus_identity_replace_region('record_id in (select record_id from {region})') }}",
        "{{ chorus_identity_progress() }}",
    ],
) }}

{% set batch = chorus_identity_batch() %}
{% set region = chorus_identity_region(
    "select record_id from " ~ chorus_identity_region_relation(ref('int_identity_records'))
    ~ " where change in ('new', 'removed')"
) %}

with

records as (

    select * from {{ ref('int_identity_records') }}
    {% if region is not none -%}
        where record_id in (select record_id from {{ region }})
    {%- endif %}

),

unpivoted as (

    {{ chorus_identity_unpivot('records', ['record_id']) }}

),

final as (

    select
        record_id,
        identifier_type,
        node_id,
        {{ batch['batch_id'] }} as batch_id
    from unpivoted

)

select * from final
