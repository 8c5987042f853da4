-- One row per identifier with at least one edge in int_identity_edges: its connected
-- component there (component_id = the smallest node_id of the component's core, see
-- macros/identity/chorus_connected_components.sql), before int_identity_bridges takes
-- out the values that would link several customers. Computed by rounds of SQL while
-- this model builds; convergence_rounds says how many it took.
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch recomputes
-- the components that hold a node of the edges' region, with the region's nodes; no
-- edge leaves that set, so its components are whole. A component's id depends only on
-- its nodes, so an incremental batch gives the ids a full one would.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    post_hook=[
        "{{ chorus_connected_components_drop() }}",
        "{{ chorus_identity_replace_region('node_id in (select node_id from {region})') }}",
        "{{ chorus_identity_progress() }}",
    ],
) }}

{% set batch = chorus_identity_batch() %}
{% set edges_region = chorus_identity_region_relation(ref('int_identity_edges')) %}
{% set region = chorus_identity_region(
    "select node_id from " ~ edges_region
    ~ " union"
    ~ " select node_id from " ~ this
    ~ " where component_id in ("
    ~ " select component_id from " ~ this
    ~ " where node_id in (select node_id from " ~ edges_region ~ "))"
) %}

-- the macro reads the edges relation itself, round by round: it is this model's import
{% set components = chorus_connected_components(
    ref('int_identity_edges'),
    where=('node_id_a in (select node_id from ' ~ region ~ ')') if region is not none else none,
) %}

with

components as (

    {{ components.sql }}

),

final as (

    select
        node_id,
        component_id,
        {{ components.rounds if components.rounds is not none else 'cast(null as integer)' }}
            as convergence_rounds,
        {{ batch['batch_id'] }} as batch_id
    from components

)

select * from final
