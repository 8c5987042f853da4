-- One row per identifier of a suspect cluster that int_identity_bridges examined, bridges
-- excepted: its cluster once the bridges are taken out (connected components of
-- int_identity_suspect_edges; an identifier left with no edge stands alone). Every other
-- identifier keeps its int_identity_components cluster (int_identity_customer_ids).
{{ config(
    materialized='table',
    post_hook="{{ chorus_connected_components_drop() }}",
) }}

{% set resplit = chorus_connected_components(ref('int_identity_suspect_edges')) %}

with

components as (

    select * from {{ ref('int_identity_components') }}

),

bridges as (

    select * from {{ ref('int_identity_bridges') }}

),

resplit_components as (

    {{ resplit.sql }}

),

examined_components as (

    select distinct component_id
    from bridges

),

bridge_nodes as (

    select node_id
    from bridges
    where is_bridge

),

final as (

    select
        components.node_id,
        components.component_id as draft_component_id,
        coalesce(resplit_components.component_id, components.node_id) as component_id
    from components
    inner join examined_components
        on components.component_id = examined_components.component_id
    left join bridge_nodes
        on components.node_id = bridge_nodes.node_id
    left join resplit_components
        on components.node_id = resplit_components.node_id
    where bridge_nodes.node_id is null

)

select * from final
