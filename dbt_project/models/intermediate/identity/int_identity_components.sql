-- One row per identifier with at least one edge in int_identity_edges: its connected
-- component there (component_id = the smallest node_id of the component's core, see
-- macros/identity/chorus_connected_components.sql), before int_identity_bridges takes
-- out the values that would link several customers. Computed by rounds of SQL while
-- this model builds; convergence_rounds says how many it took.
{{ config(
    materialized='table',
    post_hook="{{ chorus_connected_components_drop() }}",
) }}

-- the macro reads the edges relation itself, round by round: it is this model's import
{% set components = chorus_connected_components(ref('int_identity_edges')) %}

with

components as (

    {{ components.sql }}

),

final as (

    select
        node_id,
        component_id,
        {{ components.rounds if components.rounds is not none else 'cast(null as integer)' }}
            as convergence_rounds
    from components

)

select * from final
