-- One row per edge of a suspect draft cluster once its bridges are taken out: each link
-- of int_identity_bridge_links starred again around its most trusted identifier that
-- is not a bridge. int_identity_components_resplit splits these clusters with it.
with

bridge_links as (

    select * from {{ ref('int_identity_bridge_links') }}

),

bridges as (

    select * from {{ ref('int_identity_bridges') }}

),

kept_members as (

    select
        bridge_links.component_id,
        bridge_links.link_source,
        bridge_links.link_id,
        bridge_links.node_id,
        row_number() over (
            partition by bridge_links.link_source, bridge_links.link_id
            order by bridge_links.priority, bridge_links.node_id
        ) as rank_on_link
    from bridge_links
    left join bridges
        on
            bridge_links.node_id = bridges.node_id
            and bridges.is_bridge
    where bridges.node_id is null

),

final as (

    select distinct
        hub.component_id,
        least(hub.node_id, spoke.node_id) as node_id_a,
        greatest(hub.node_id, spoke.node_id) as node_id_b
    from kept_members as hub
    inner join kept_members as spoke
        on
            hub.link_source = spoke.link_source
            and hub.link_id = spoke.link_id
            and spoke.rank_on_link > 1
    where hub.rank_on_link = 1

)

select * from final
